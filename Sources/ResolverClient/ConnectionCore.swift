import NIOConcurrencyHelpers
import NIOCore

/// The state one ``ResolvdConnection`` shares between its callers and its channel
/// handler: the next id, the requests waiting for replies, the lines waiting to be
/// written, and why the connection closed.
///
/// The core does not touch the channel; ``ResolvdConnection`` writes what
/// ``takeOutbox()`` hands it. Ids are allocated and lines queued under one lock, and
/// the outbox is drained in order, so lines reach the socket in id order whatever
/// thread sent them.
final class ConnectionCore: Sendable {
    struct Storage {
        var nextID: Int64 = 1
        var pending: [Int64: EventLoopPromise<Reply>] = [:]
        var outbox: [(id: Int64, line: ByteBuffer)] = []
        var isFlushScheduled = false
        /// Set once; afterwards nothing is queued and every new request fails with it.
        var closedError: ResolvdConnectionError?
        /// The reason the next close will give, if the client or an error decided it.
        var closingReason: String?
        /// Running monitors: their event lines go here (ResolvdConnection+Monitor.swift).
        var monitors: [Int64: AsyncThrowingStream<MonitorEvent, any Error>.Continuation] = [:]
    }

    private let storage = NIOLockedValueBox(Storage())
    let eventLoop: EventLoop
    let unsolicitedContinuation: AsyncStream<UnsolicitedMessage>.Continuation

    init(eventLoop: EventLoop, unsolicitedContinuation: AsyncStream<UnsolicitedMessage>.Continuation) {
        self.eventLoop = eventLoop
        self.unsolicitedContinuation = unsolicitedContinuation
    }

    /// Allocates the next id, registers its reply promise and queues the line.
    ///
    /// `body` is the request without its id: `"op":"…",…` with no braces.
    /// - Returns: the request and whether the caller must schedule an outbox flush.
    func enqueue(
        op: String, body: ByteBuffer, events: AsyncThrowingStream<MonitorEvent, any Error>.Continuation? = nil
    ) -> (request: PendingRequest, mustScheduleFlush: Bool) {
        let promise = eventLoop.makePromise(of: Reply.self)
        let outcome = storage.withLockedValue { storage -> (id: Int64, failure: ResolvdConnectionError?, mustFlush: Bool) in
            if let closedError = storage.closedError {
                return (0, closedError, false)
            }
            guard storage.nextID <= Request.maxID else {
                return (0, .connectionClosed(reason: "request ids exhausted"), false)
            }
            let id = storage.nextID
            storage.nextID += 1
            storage.pending[id] = promise
            if let events { storage.monitors[id] = events }
            storage.outbox.append((id, Self.requestLine(id: id, body: body)))
            let mustFlush = !storage.isFlushScheduled
            storage.isFlushScheduled = true
            return (id, nil, mustFlush)
        }
        if let failure = outcome.failure {
            promise.fail(failure)
        }
        return (PendingRequest(id: outcome.id, op: op, futureResult: promise.futureResult), outcome.mustFlush)
    }

    /// The request line for `id`, newline included: `{"id":<id>,<body>}`.
    static func requestLine(id: Int64, body: ByteBuffer) -> ByteBuffer {
        var line = ByteBuffer()
        line.reserveCapacity(body.readableBytes + 24)
        line.writeStaticString("{\"id\":")
        line.writeJSONInteger(id)
        line.writeInteger(UInt8(ascii: ","))
        line.writeImmutableBuffer(body)
        line.writeStaticString("}\n")
        return line
    }

    /// Hands over the queued lines, oldest first, and allows the next flush to be scheduled.
    func takeOutbox() -> [(id: Int64, line: ByteBuffer)] {
        storage.withLockedValue { storage in
            storage.isFlushScheduled = false
            defer { storage.outbox.removeAll(keepingCapacity: true) }
            return storage.outbox
        }
    }

    /// Whether a request with this id is still waiting for its reply.
    func isPending(_ id: Int64) -> Bool {
        storage.withLockedValue { $0.pending[id] != nil }
    }

    /// Completes the request a reply answers, or reports the reply as unsolicited.
    func deliver(_ reply: Reply) {
        let promise = storage.withLockedValue { storage in
            reply.id.flatMap { storage.pending.removeValue(forKey: $0) }
        }
        if let promise {
            promise.succeed(reply)
        } else {
            unsolicitedContinuation.yield(.reply(reply))
        }
    }

    /// Whether any monitor runs, so that lines must be looked at for events.
    var hasMonitors: Bool { storage.withLockedValue { !$0.monitors.isEmpty } }

    /// Hands an event line's event to its monitor; false when no monitor has that id.
    func deliver(event: MonitorEvent, monitor id: Int64) -> Bool {
        guard let continuation = storage.withLockedValue({ $0.monitors[id] }) else { return false }
        continuation.yield(event)
        return true
    }

    /// Forgets a monitor (it ended, or its consumer went away).
    func removeMonitor(_ id: Int64) {
        storage.withLockedValue { _ = $0.monitors.removeValue(forKey: id) }
    }

    /// Fails one request, such as one whose line could not be written.
    func fail(id: Int64, with error: ResolvdConnectionError) {
        let promise = storage.withLockedValue { $0.pending.removeValue(forKey: id) }
        promise?.fail(error)
    }

    /// Records why the connection is about to close, unless a reason is already known.
    func noteClosingReason(_ reason: String) {
        storage.withLockedValue { storage in
            if storage.closingReason == nil { storage.closingReason = reason }
        }
    }

    /// Marks the connection closed and fails every pending request.
    func markClosed() {
        let (promises, error) = storage.withLockedValue { storage in
            let error = ResolvdConnectionError.connectionClosed(reason: storage.closingReason ?? "closed by resolvd")
            if storage.closedError == nil { storage.closedError = error }
            let promises = storage.pending.values
            storage.pending.removeAll()
            storage.outbox.removeAll()
            return (Array(promises), storage.closedError!)
        }
        for promise in promises {
            promise.fail(error)
        }
        unsolicitedContinuation.finish()
    }
}
