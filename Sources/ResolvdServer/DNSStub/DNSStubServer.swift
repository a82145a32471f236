#if canImport(Glibc)
import Glibc
#endif

import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Binds the DNS stub listener: UDP and TCP on each `dns_listen` address, over one
/// ``DNSStubLookups`` (the bookkeeping) and one ``StubAnswering`` (the lookup service).
///
/// Each address gets one UDP socket per event loop (`SO_REUSEPORT`: the kernel keeps each
/// client socket on one of them, by its address and port), so that queries are answered on
/// every core, not one; they read datagrams in batches (`recvmmsg`, NIO's
/// `datagramVectorReadMessageCount`). TCP connections over `dns_max_tcp_connections`, or
/// over `dns_max_tcp_connections_per_source` from one address, are closed as they are
/// accepted (``DNSStubServer/TCPAdmission``); a loopback client's source is its uid
/// (``StubSourceUID``). Under socket activation the sockets named `dns` are adopted and
/// `dns_listen` is not bound. Taken at start only, not on reload.
enum DNSStubServer {
    /// Datagrams read per `recvmmsg`, and the most bytes of one query (a longer datagram
    /// is cut and answered FORMERR).
    static let datagramsPerRead = 32
    static let largestQuery = 4096
    static let receiveBufferBytes: SocketOptionValue = 4 << 20

    /// Where a socket comes from: an address to bind, or a descriptor systemd passed
    /// (socket activation, `FileDescriptorName=dns`).
    enum Target: CustomStringConvertible {
        case address(MetricsListen)
        case descriptor(Int32)

        var description: String {
            switch self {
            case .address(let listen): "\(listen)"
            case .descriptor(let descriptor): "fd:\(descriptor)"
            }
        }
    }

    /// Binds every address, or adopts the sockets systemd passed instead when there are any;
    /// the channels to close at shutdown.
    static func start(
        _ listens: [MetricsListen], adopting activated: [SocketActivation.DNSSocket] = [], context: ServerContext,
        answering: any StubAnswering, acceptPauses: AcceptPauses, logger: Logger
    ) async throws -> [any Channel] {
        guard !listens.isEmpty || !activated.isEmpty else { return [] }
        let lookups = DNSStubLookups(server: context, answering: answering)
        let admission = TCPAdmission()
        var channels: [any Channel] = []
        do {
            if activated.isEmpty {
                for listen in listens {
                    channels += try await bindUDPOnEveryLoop(listen, lookups: lookups)
                    channels.append(
                        try await bindTCP(.address(listen), lookups: lookups, admission: admission, acceptPauses: acceptPauses, logger: logger))
                    logger.notice("dns stub listening", metadata: ["address": "\(listen)"])
                }
            } else {
                for socket in activated {
                    let target = Target.descriptor(socket.descriptor)
                    channels.append(
                        socket.isDatagram
                            ? try await bindUDP(target, lookups: lookups)
                            : try await bindTCP(target, lookups: lookups, admission: admission, acceptPauses: acceptPauses, logger: logger))
                    logger.notice("dns stub listening", metadata: ["address": "\(channels.last?.localAddress.map { "\($0)" } ?? "?")", "socket_activated": "true"])
                }
            }
        } catch {
            for channel in channels { channel.close(promise: nil) }
            throw ConfigurationError("dns_listen: cannot listen: \(error)")
        }
        return channels
    }

    /// One UDP socket on `listen` per event loop, in one `SO_REUSEPORT` group: the first
    /// binds the port (the kernel's choice for port 0), the others the same.
    private static func bindUDPOnEveryLoop(_ listen: MetricsListen, lookups: DNSStubLookups) async throws -> [any Channel] {
        var channels: [any Channel] = []
        do {
            for loop in MultiThreadedEventLoopGroup.singleton.makeIterator() {
                var address = listen
                if let port = channels.first?.localAddress?.port { address.port = port }
                channels.append(try await bindUDP(.address(address), lookups: lookups, on: loop, reusingPort: true))
            }
        } catch {
            for channel in channels { channel.close(promise: nil) }
            throw error
        }
        return channels
    }

    private static func bindUDP(
        _ target: Target, lookups: DNSStubLookups, on loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(), reusingPort: Bool = false
    ) async throws -> any Channel {
        let bound = lookups.server.limits.maxQueuedReplyBytes
        let bootstrap = DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SocketOptionName(SO_REUSEPORT)), value: reusingPort ? 1 : 0)
            .channelOption(.datagramVectorReadMessageCount, value: datagramsPerRead)
            // Room for a burst of queries while the loop is busy (the kernel caps it at rmem_max).
            .channelOption(.socketOption(.so_rcvbuf), value: receiveBufferBytes)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: largestQuery * datagramsPerRead))
            .channelOption(.writeBufferWaterMark, value: .init(low: bound / 2, high: bound))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSStubUDPHandler(lookups: lookups))
                }
            }
        switch target {
        case .address(let listen): return try await bootstrap.bind(host: listen.host, port: listen.port).get()
        case .descriptor(let descriptor): return try await bootstrap.withBoundSocket(descriptor).get()
        }
    }

    private static func bindTCP(
        _ target: Target, lookups: DNSStubLookups, admission: TCPAdmission, acceptPauses: AcceptPauses, logger: Logger
    ) async throws -> any Channel {
        let limits = lookups.server.limits
        let idle = TimeAmount.milliseconds(Int64(limits.dnsTCPIdleTimeoutMilliseconds))
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelInitializer { channel in
                // At EMFILE accepting pauses until a descriptor is freed, as on the other sockets.
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler(logger: logger, pauses: acceptPauses))
                }
            }
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: false)
            .childChannelInitializer { channel in
                channel.closeFuture.whenComplete { _ in acceptPauses.descriptorFreed() }
                var uid: uid_t?
                if let remote = channel.remoteAddress, StubSourceUID.isLoopback(remote), let local = channel.localAddress {
                    var uids = StubSourceUID()
                    uid = uids.uid(client: remote, server: local, tcp: true)
                    uids.close()
                }
                // A local client is its uid, as on the Unix sockets; a remote one its address.
                let source = uid.map { "uid \($0)" } ?? channel.remoteAddress?.ipAddress ?? "?"
                guard admission.admit(source, total: limits.dnsMaxTCPConnections, perSource: limits.dnsMaxTCPConnectionsPerSource) else {
                    lookups.server.stats.connectionsRefused.add(1, ordering: .relaxed)
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in admission.release(source) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(StubTCPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(DNSStubTCPHandler(lookups: lookups, source: source, uid: uid))
                }
            }
        switch target {
        case .address(let listen): return try await bootstrap.bind(host: listen.host, port: listen.port).get()
        case .descriptor(let descriptor): return try await bootstrap.withBoundSocket(descriptor).get()
        }
    }

    /// TCP connections open, in all and per source address.
    final class TCPAdmission: Sendable {
        private let state = NIOLockedValueBox<(total: Int, perSource: [String: Int])>((0, [:]))

        /// True (and counted) when one more connection from `source` may stay open.
        func admit(_ source: String, total: Int, perSource: Int) -> Bool {
            state.withLockedValue { state in
                let fromSource = state.perSource[source, default: 0]
                guard state.total < total, fromSource < perSource else { return false }
                state.total += 1
                state.perSource[source] = fromSource + 1
                return true
            }
        }

        func release(_ source: String) {
            state.withLockedValue { state in
                state.total -= 1
                let left = state.perSource[source, default: 1] - 1
                state.perSource[source] = left == 0 ? nil : left
            }
        }

        /// Connections open now from `source` (tests).
        func count(from source: String) -> Int {
            state.withLockedValue { $0.perSource[source, default: 0] }
        }
    }
}
