import NIOConcurrencyHelpers

/// The `monitor` op as an `AsyncSequence`: every finished lookup the daemon lets this
/// peer see (all clients for an admin, else its own uid's), as ``MonitorEvent``s.
extension ResolvdConnection {
    /// Starts a monitor and returns its events.
    ///
    /// The sequence ends when the monitor's one reply arrives: normally (10111, after a
    /// cancel) or by throwing the reply's ``ResolverError`` (995 when the daemon shuts
    /// down, 10055 when too many monitors run) or ``ResolvdConnectionError`` when the
    /// connection closes. When the consumer stops — its task is cancelled, or it leaves
    /// the loop — `cancel` is sent for the monitor, so the daemon stops sending events.
    ///
    /// At most `bufferingNewest` events wait here for a slow consumer; older ones are
    /// dropped on this side (the daemon drops too, and reports that in ``MonitorEvent/dropped``).
    public func monitor(bufferingNewest limit: Int = 1_024) -> MonitorEvents {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: MonitorEvent.self, bufferingPolicy: .bufferingNewest(limit))
        let (pending, mustScheduleFlush) = core.enqueue(op: Operation.monitor.rawValue, body: Self.requestBody(.monitor), events: continuation)
        if mustScheduleFlush {
            channel.eventLoop.execute { self.flushOutbox() }
        }
        let core = self.core
        let id = pending.id
        pending.futureResult.whenComplete { result in
            core.removeMonitor(id)
            switch result {
            case .success(let reply) where reply.status == .cancelled || reply.isSuccess:
                continuation.finish()
            case .success(let reply):
                continuation.finish(throwing: reply.failure ?? ResolverError(code: reply.status, message: reply.message ?? ""))
            case .failure(let error):
                continuation.finish(throwing: error)
            }
        }
        let stopper = MonitorEvents.Stopper { [weak self] in
            guard let self, core.isPending(id) else { return }
            _ = self.send(.cancel(handle: id))
        }
        continuation.onTermination = { termination in
            if case .cancelled = termination { stopper.stop() }
        }
        return MonitorEvents(id: id, stream: stream, stopper: stopper)
    }
}

/// The events of one `monitor`. Iterate it once: leaving the loop (its iterator goes away)
/// or cancelling the iterating task sends `cancel` for the monitor.
public struct MonitorEvents: AsyncSequence, Sendable {
    public typealias Element = MonitorEvent

    /// The monitor's request id (its handle for `cancel`).
    public let id: Int64
    let stream: AsyncThrowingStream<MonitorEvent, any Error>
    let stopper: Stopper

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: stream.makeAsyncIterator(), lifetime: Lifetime(stopper: stopper))
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<MonitorEvent, any Error>.Iterator
        let lifetime: Lifetime

        public mutating func next() async throws -> MonitorEvent? {
            try await base.next()
        }
    }

    /// Sends the cancel once, whoever asks first.
    final class Stopper: Sendable {
        private let action: NIOLockedValueBox<(@Sendable () -> Void)?>

        init(_ action: @escaping @Sendable () -> Void) {
            self.action = NIOLockedValueBox(action)
        }

        func stop() {
            let action = self.action.withLockedValue { action in
                defer { action = nil }
                return action
            }
            action?()
        }
    }

    /// Stops the monitor when the iterator holding it is gone.
    final class Lifetime: Sendable {
        let stopper: Stopper

        init(stopper: Stopper) {
            self.stopper = stopper
        }

        deinit { stopper.stop() }
    }
}
