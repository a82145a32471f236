import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ResolverCore
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// The daemon as a swift-service-lifecycle `Service`: binds the Unix socket, serves
/// connections until graceful shutdown, and reloads on SIGHUP.
///
/// Shutdown (SIGTERM/SIGINT through the ServiceGroup) stops accepting, answers every
/// lookup in flight with ERROR_OPERATION_ABORTED, closes the connections, stops the
/// resolver and removes the socket file. A reload builds a new resolver from the
/// re-read configuration and swaps it in for new lookups; lookups in flight finish on
/// the old one, which is shut down once it is idle. A configuration that fails to load
/// is logged and the old one kept. Protocol handling is ``ConnectionHandler``'s.
///
/// Under systemd (``SystemdIntegration``) it adopts the listening sockets systemd passed
/// instead of binding (and then neither chmods nor removes the socket file, which belongs
/// to the socket unit), sends READY=1 only once the socket accepts connections, STATUS=
/// lines, RELOADING=1 … READY=1 around a reload, STOPPING=1 on shutdown, and runs the
/// ``Watchdog`` on the event loops that serve connections.
public actor ResolvdDaemon: Service {
    /// How long SIGTERM waits for connections to take their last replies before closing
    /// them anyway (a client that never reads must not keep resolvd from stopping).
    static let shutdownGrace: TimeAmount = .seconds(2)

    /// Where the daemon is in its life.
    public enum State: Sendable {
        case idle
        case running(socketPath: String)
        case stopping
        case stopped
    }

    public private(set) var state: State = .idle
    public nonisolated let stats = ServerStats()
    private(set) var configuration: DaemonConfiguration
    private let reloadConfiguration: @Sendable () throws -> DaemonConfiguration
    let logger: Logger
    private let onReady: @Sendable (_ socketPath: String, _ metrics: MetricsListen?) -> Void
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    /// Who may connect (`max_connections`, its per-uid share, the admins' slots).
    private let admission: ConnectionAdmission
    /// Listening sockets paused at EMFILE, resumed when a connection closes.
    private let acceptPauses = AcceptPauses()
    private var context: ServerContext?
    var serverContext: ServerContext? { context }
    /// The links set at run time (ResolvdDaemon+Links.swift); kept across reloads.
    var links = LinkTable()
    let systemd: SystemdIntegration
    /// Where clients connect, for logs and STATUS=.
    var listeningDescription = ""
    /// Where `metrics_listen` is bound (the kernel's port when it asked for port 0), for
    /// logs and STATUS=; nil when it is off.
    var metricsAddress: MetricsListen?
    /// Why the last reload failed; shown in STATUS= until a reload succeeds.
    var reloadProblem: String?
    /// The soft RLIMIT_NOFILE after start raised it (``DescriptorLimit``).
    private var descriptorLimit: Int?

    /// - Parameters:
    ///   - reloadConfiguration: reads the configuration again (on SIGHUP).
    ///   - onReady: called with the socket path once the socket accepts connections, and with
    ///     the address `metrics_listen` bound (its port the kernel's when it asked for 0).
    ///   - systemd: sockets, notification socket and watchdog passed by systemd, if any.
    public init(
        configuration: DaemonConfiguration,
        logger: Logger,
        reloadConfiguration: @escaping @Sendable () throws -> DaemonConfiguration,
        systemd: SystemdIntegration = SystemdIntegration(),
        onReady: @escaping @Sendable (_ socketPath: String, _ metrics: MetricsListen?) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.reloadConfiguration = reloadConfiguration
        self.systemd = systemd
        self.onReady = onReady
        self.admission = ConnectionAdmission(stats: stats, logger: logger)
    }

    public func run() async throws {
        let routes: RouteSet
        do {
            routes = try RouteSet.build(configuration: configuration, links: [], reusing: nil).routes
        } catch {
            throw ConfigurationError("cannot start the resolver: \(error)")
        }
        let resolver = routes.defaultRoute.resolver
        logReceiveBuffer(of: resolver)
        descriptorLimit = DescriptorLimit.raiseSoftLimit(logger: logger)
        configuration.limits = DescriptorLimit.fit(configuration, softLimit: descriptorLimit, logger: logger)
        let lookups = LookupService(
            resolver: resolver, cacheEnabled: configuration.cacheEnabled, settings: configuration.cache,
            upstreamLookupsPerUID: Self.upstreamLookupsPerUID(configuration, resolver: resolver))
        _ = lookups.replace(routes: routes)
        let context = ServerContext(lookups: lookups, limits: configuration.limits, stats: stats, logger: logger)
        self.context = context
        context.admin.setLinkHandlers(
            set: { [weak self] settings in
                guard let self else { return .failure(.invalidArgument("the daemon has stopped")) }
                return await self.setLink(settings)
            },
            revert: { [weak self] interface in await self?.revertLink(interface) ?? false })
        context.admin.policy = AdminPolicy(group: configuration.adminGroup)
        context.admin.setReload { [weak self] in
            guard let self else { return .failure(ConfigurationError("the daemon has stopped")) }
            return await self.reload()
        }
        // Every listener before the Unix sockets: a client that found the v1 socket answering
        // (as the tests and `systemctl` readiness do) finds the DNS stub and metrics too.
        // `metrics_listen` (Observe/MetricsServer.swift); taken at start only, not on reload.
        let metricsServer = try await MetricsServer.start(
            configuration.metricsListen, context: context, acceptPauses: acceptPauses, logger: logger)
        defer { metricsServer?.channel.close(promise: nil) }
        metricsAddress = metricsServer?.bound
        // `dns_listen` (DNSStub/): taken at start only, like metrics_listen.
        let stubChannels = try await DNSStubServer.start(
            configuration.dnsListen, adopting: systemd.dnsSockets, context: context, answering: LookupServiceStubAnswering(lookups: lookups), acceptPauses: acceptPauses,
            logger: logger)
        defer { for channel in stubChannels { channel.close(promise: nil) } }
        let path = configuration.socketPath
        let varlinkPath = configuration.varlinkSocketPath
        var servers: [any Channel]
        if systemd.isSocketActivated {
            // The socket unit owns the file and its mode; adopt its listening sockets as they are.
            var adopted: [any Channel] = []
            for socket in systemd.listenSockets {
                adopted.append(try await bind(.descriptor(socket.descriptor), frontEnd: socket.frontEnd, context: context))
            }
            servers = adopted
            listeningDescription = systemd.listenSockets.map(\.path).joined(separator: ", ")
        } else {
            servers = []
            // The Varlink socket first: a client that found the v1 socket answering finds it too.
            if let varlinkPath {
                try SocketFile.prepare(path: varlinkPath)
                servers.append(try await bind(.path(varlinkPath), frontEnd: .varlink, context: context))
                try SocketFile.setMode(path: varlinkPath, mode: configuration.socketMode)
            }
            try SocketFile.prepare(path: path)
            servers.append(try await bind(.path(path), context: context))
            try SocketFile.setMode(path: path, mode: configuration.socketMode)
            listeningDescription = path
        }
        state = .running(socketPath: listeningDescription)
        logger.notice(
            "resolvd listening",
            metadata: [
                "socket": "\(listeningDescription)", "varlink_socket": "\(systemd.isSocketActivated ? "-" : varlinkPath ?? "none")",
                "metrics": "\(metricsAddress.map { "http://\($0)/metrics" } ?? "none")", "upstreams": "\(configuration.resolver.servers.map(\.description).joined(separator: ","))",
                "channels": "\(configuration.resolver.channelCount)", "socket_activated": "\(systemd.isSocketActivated)",
            ])
        onReady(listeningDescription, metricsAddress)
        // Only now: the socket accepts connections (an adopted one did already, but queued them).
        systemd.notifier?.ready(status: statusText())
        let watchdog = startWatchdog()
        defer { watchdog?.stop() }

        let serverChannels = servers
        let connections = self.connections
        let notifier = systemd.notifier
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await self.reloadOnHangup() }
                group.addTask { await self.watchDatabaseFiles(context: context) }
                group.addTask { await self.refreshStatus() }
                try await withThrowingDiscardingTaskGroup { serving in
                    for server in servers {
                        // Connections are configured in the child initializer, on their
                        // event loop; nothing here runs per connection.
                        serving.addTask { try await server.closeFuture.get() }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            notifier?.stopping(status: "stopping: answering lookups in flight with ERROR_OPERATION_ABORTED")
            for serverChannel in serverChannels { serverChannel.close(promise: nil) }
            for channel in connections.withLockedValue({ Array($0.values) }) {
                channel.pipeline.fireUserInboundEventTriggered(ShutdownEvent())
            }
        }
        state = .stopping
        // Connections answer 995 for what they had in flight and close themselves once those
        // replies are written. A client that does not read would keep that from ever
        // happening: past the grace period its connection is closed with the replies unsent.
        let forceCloseAt = NIODeadline.now() + Self.shutdownGrace
        for channel in connections.withLockedValue({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(ShutdownEvent())
            channel.eventLoop.scheduleTask(deadline: forceCloseAt) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
        }
        for resolver in context.lookups.routes.allResolvers { resolver.shutdown() }
        if !systemd.isSocketActivated {
            SocketFile.remove(path: path)
            if let varlinkPath { SocketFile.remove(path: varlinkPath) }
        }
        state = .stopped
        logger.notice("resolvd stopped")
    }

    /// Where to listen: a path to bind, or a listening descriptor systemd passed.
    private enum ListenTarget {
        case path(String)
        case descriptor(Int32)
    }

    /// The listening channel. Accepted connections are set up in the child initializer on
    /// their own event loop and never handed to a task: an `NIOAsyncChannel` server would
    /// wake a Swift concurrency thread for every connection to yield it into a sequence
    /// nobody needs (docs/performance.md, "One call at a time").
    private func bind(_ target: ListenTarget, frontEnd: FrontEnd = .v1, context: ServerContext) async throws -> any Channel {
        let stats = self.stats
        let connections = self.connections
        let logger = self.logger
        let acceptPauses = self.acceptPauses
        let bootstrap = Self.serverBootstrap(frontEnd: frontEnd)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler(logger: logger, pauses: acceptPauses))
                }
            }
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        let admission = self.admission
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Void> = { channel in
            // v1 reads on after a client's shutdown(SHUT_WR) (a Varlink connection is closed by
            // it: VarlinkConnectionHandler.configure). Set here, at once: as a bootstrap's child
            // option NIO applies it through a chain of futures, ~9,000 instructions per connection.
            if frontEnd == .v1 {
                do {
                    try channel.syncOptions?.setOption(.allowRemoteHalfClosure, value: true)
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            let key = ObjectIdentifier(channel)
            connections.withLockedValue { $0[key] = channel }
            stats.connections.add(1, ordering: .relaxed)
            // One promise and one close callback per connection: nss-resolve makes a
            // connection per call, and each future hop here cost thousands of instructions.
            let configured = channel.eventLoop.makePromise(of: Void.self)
            admission.admit(channel, context: context) { decision in
                channel.closeFuture.whenComplete { _ in
                    admission.connectionClosed(decision)
                    stats.connections.subtract(1, ordering: .relaxed)
                    connections.withLockedValue { $0[key] = nil }
                    acceptPauses.descriptorFreed()
                }
                configured.completeWith(Result { try Self.configure(channel, decision, frontEnd: frontEnd, context: context) })
            }
            return configured.futureResult
        }
        let configured = bootstrap.childChannelInitializer(initializer)
        switch target {
        case .path(let path):
            return try await configured.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        case .descriptor(let descriptor):
            return try await configured.withBoundSocket(descriptor).get()
        }
    }

    /// A connection's pipeline after its admission: a refusal's handler, or the front end's.
    private static func configure(_ channel: any Channel, _ decision: ConnectionAdmission.Decision, frontEnd: FrontEnd, context: ServerContext) throws {
        let peer: PeerCredentials?
        switch decision {
        case .refused(let refusal):
            // Varlink has no message a server may send before a call: close at once.
            let handler: any ChannelHandler = frontEnd == .varlink ? VarlinkRefusingHandler() : RejectingHandler(message: refusal)
            try channel.pipeline.syncOperations.addHandler(handler)
            return
        case .admitted(let credentials):
            peer = credentials
        }
        if frontEnd == .varlink {
            try VarlinkConnectionHandler.configure(channel, server: context, peer: peer)
            return
        }
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maximumLength: context.limits.maxRequestBytes)))
        try channel.pipeline.syncOperations.addHandler(ConnectionHandler(server: context, peer: peer))
    }

    /// v1 connections are spread over every event loop: a client keeps one open for many
    /// lookups, and the loops share the work. A Varlink connection (nss-resolve) carries
    /// one call and closes, so it stays on the loop that accepted it: set up on another
    /// loop (every other connection, round robin), the child channel's registration, the
    /// admission check and the initializer's completion bounced between the two loops four
    /// times, each an eventfd wake-up of a sleeping thread — a cached call on a new
    /// connection took p50 ~230 µs with them and ~150 µs without (docs/performance.md, "One
    /// call at a time"). All Varlink calls then share one loop; a cache hit costs it a few
    /// µs, and what is not a hit runs on the channel threads.
    private static func serverBootstrap(frontEnd: FrontEnd) -> ServerBootstrap {
        let group = MultiThreadedEventLoopGroup.singleton
        guard frontEnd == .varlink else { return ServerBootstrap(group: group) }
        let loop = group.next()
        return ServerBootstrap(group: loop, childGroup: loop)
    }

    /// The hosts, services and protocols files are re-read when they change on disk, at
    /// most every two seconds, never per lookup; links whose interface is gone are dropped
    /// on the same beat.
    private func watchDatabaseFiles(context: ServerContext) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(2))
            dropVanishedLinks()
            do {
                var changed = false
                for resolver in context.lookups.routes.allResolvers where try resolver.reloadDatabasesIfChanged() { changed = true }
                if changed { logger.info("hosts/services/protocols files changed: re-read") }
            } catch {
                logger.error("cannot re-read a database file; keeping the old one", metadata: ["error": "\(error)"])
            }
        }
    }

    private func reloadOnHangup() async {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups {
            reload()
        }
    }

    /// Re-reads the configuration; on success swaps in a new resolver, else keeps the old
    /// and says why (log, STATUS=, the result). Under systemd it is bracketed by
    /// RELOADING=1 and READY=1 whatever the outcome.
    @discardableResult
    public func reload() -> Result<Void, ConfigurationError> {
        guard let context else { return .failure(ConfigurationError("the daemon is not running")) }
        systemd.notifier?.reloading(status: "reloading the configuration")
        var next: DaemonConfiguration
        let routes: RouteSet
        do {
            next = try reloadConfiguration()
            routes = try RouteSet.build(configuration: next, links: links.links, reusing: nil).routes
        } catch {
            let failure = error as? ConfigurationError ?? ConfigurationError("\(error)")
            logger.error("reload failed; keeping the running configuration", metadata: ["error": "\(failure)"])
            reloadProblem = "\(failure)"
            systemd.notifier?.ready(status: statusText())
            return .failure(failure)
        }
        next.limits = DescriptorLimit.fit(next, softLimit: descriptorLimit, logger: logger)
        if next.socketPath != configuration.socketPath {
            logger.warning("the socket path changes only on restart", metadata: ["socket": "\(next.socketPath)"])
        }
        configuration = next
        reloadProblem = nil
        let resolver = routes.defaultRoute.resolver
        logReceiveBuffer(of: resolver)
        let old = context.replace(routes: routes, configuration: next)
        context.lookups.updateUpstreamShare(perUID: Self.upstreamLookupsPerUID(next, resolver: resolver))
        context.admin.policy = AdminPolicy(group: next.adminGroup)
        stats.reloads.add(1, ordering: .relaxed)
        logger.notice("configuration reloaded", metadata: ["upstreams": "\(next.resolver.servers.map(\.description).joined(separator: ","))"])
        // Lookups already started finish on the old resolvers; retire them when idle.
        Self.retireWhenIdle(old.allResolvers)
        systemd.notifier?.ready(status: statusText())
        return .success(())
    }
}

/// Answers a connection over the limit with one clear error line, then closes it.
final class RejectingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let message: String

    init(message: String) {
        self.message = message
    }

    func channelActive(context: ChannelHandlerContext) {
        let reply = ReplyEncoder.failure(
            id: nil, error: ResolverError(code: .noBufferSpace, message: message), allocator: context.channel.allocator)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
