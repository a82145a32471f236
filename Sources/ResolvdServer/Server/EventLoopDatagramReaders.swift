import NIOCore
import NIOPosix
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's event loops as the readers of the resolvers' UDP sockets (``DatagramReaders``):
/// channel *i*'s replies are read on event loop *i*, where the lookups its clients start on
/// that loop go. A cold lookup one at a time then runs on one thread from request to
/// answer (docs/performance.md, "Issue 25: a cold call on one thread").
///
/// Each socket is a NIO pipe channel reading a duplicate of c-ares' descriptor, whose
/// only handler passes every datagram and receive error on. It does not send (c-ares
/// writes its own descriptor) and it does not decide when a socket closes (c-ares does).
final class EventLoopDatagramReaders: DatagramReaders {
    /// The singleton group's loops: the ones the daemon's connections run on.
    static let shared = EventLoopDatagramReaders(group: MultiThreadedEventLoopGroup.singleton)

    private let loops: [any EventLoop]

    init(group: MultiThreadedEventLoopGroup) {
        self.loops = Array(group.makeIterator())
    }

    var count: Int { loops.count }

    func isCurrentThread(_ index: Int) -> Bool {
        loops[index].inEventLoop
    }

    func read(_ descriptor: Int32, on index: Int, deliver: @escaping @Sendable (DatagramArrival) -> Void) -> any DatagramReading {
        // A pipe channel, not a datagram channel: the socket is connected, so a plain read()
        // returns one datagram, and its source need not be read. NIO's datagram channel
        // formats every datagram's source address into text (inet_ntop, then sprintf: ~1,750
        // instructions) and reads once more until EAGAIN; this reads once per readiness.
        let channel = NIOPipeBootstrap(group: loops[index])
            // c-ares reads a UDP reply into 4,097 bytes; a larger one is cut as its recvfrom would cut it.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4_097))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UpstreamDatagramHandler(descriptor: descriptor, deliver: deliver))
                }
            }
            .takingOwnershipOfDescriptor(input: descriptor)
        return Reading(channel: channel)
    }

    private struct Reading: DatagramReading {
        let channel: EventLoopFuture<any Channel>

        func stop() {
            channel.whenSuccess { $0.close(promise: nil) }
        }
    }
}

/// Passes each datagram of an upstream socket, and each receive error, to c-ares' side,
/// where it is what c-ares' own `recvfrom` returns: a receive error NIO reports (such as
/// ECONNREFUSED after an ICMP port unreachable) as itself, a socket NIO closes (a read
/// error, an empty datagram) as EIO — either way c-ares leaves that upstream for the next
/// one and opens a new socket, as it did reading the socket itself.
private final class UpstreamDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// After the datagram NIO read, at most this many more are read straight from the
    /// socket in the same wake-up (a burst of replies costs one pass of the event loop, not
    /// one each; bounded, so that a flood cannot keep the loop from its other channels).
    private static let moreReadsPerWakeUp = 64

    private let descriptor: Int32
    private let deliver: @Sendable (DatagramArrival) -> Void
    private var buffer = [UInt8](repeating: 0, count: 4_097)
    private let flushes = UpstreamReplyDelivery.Flushes()

    init(descriptor: Int32, deliver: @escaping @Sendable (DatagramArrival) -> Void) {
        self.descriptor = descriptor
        self.deliver = deliver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        UpstreamReplyDelivery.during(flushes) {
            unwrapInboundIn(data).withUnsafeReadableBytes { deliver(.datagram($0)) }
            // The socket is NIO's (it closes it), but reading it here is only what NIO's next
            // read would do; NIO's level-triggered epoll finds nothing left afterwards.
            for _ in 0..<Self.moreReadsPerWakeUp {
                let received = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if received < 0 {
                    let code = errno
                    if code != EAGAIN && code != EWOULDBLOCK && code != EINTR { deliver(.error(code)) }
                    break
                }
                buffer.withUnsafeBytes { deliver(.datagram(UnsafeRawBufferPointer(rebasing: $0[..<received]))) }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError {
            deliver(.error(error.errnoCode))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // If c-ares closed the socket (`stop()`), its side drops this; if NIO gave the
        // socket up, c-ares opens another.
        deliver(.error(EIO))
        context.fireChannelInactive()
    }
}

/// The v1 connections answered while an event loop hands upstream replies to c-ares
/// (``UpstreamDatagramHandler``): their replies were answered by what this loop read, and
/// nothing else of the loop's pass batches with them, so they are written as soon as the
/// burst of replies is handed over instead of by the flush task after the rest of the pass
/// (~10 µs later one at a time) — or at once, by a connection with nothing else in flight
/// (``ConnectionHandler/finishOnLoop(id:result:source:)``). Each connection is flushed once
/// per burst, so a burst of replies is still one write per connection. Found through a
/// pthread key (no allocation, no lock); it does not say which socket or lookup.
enum UpstreamReplyDelivery {
    /// The connections to flush after the current burst. Its event loop only.
    final class Flushes {
        fileprivate var handlers: [ConnectionHandler] = []

        /// `handler` has a reply waiting for the flush task.
        func add(_ handler: ConnectionHandler) {
            handlers.append(handler)
        }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    /// The burst being handed over on the calling thread, if any.
    static var current: Flushes? {
        pthread_getspecific(key).map { Unmanaged<Flushes>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Runs `body` as a burst, then flushes the connections it answered.
    static func during(_ flushes: Flushes, _ body: () -> Void) {
        pthread_setspecific(key, Unmanaged.passUnretained(flushes).toOpaque())
        body()
        pthread_setspecific(key, nil)
        for handler in flushes.handlers { handler.flushOutput() }
        flushes.handlers.removeAll(keepingCapacity: true)
    }
}
