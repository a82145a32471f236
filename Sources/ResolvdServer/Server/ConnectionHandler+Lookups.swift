import NIOCore
import ResolverCore

/// Starting lookups and answering them.
///
/// Each lookup is one waiter of the ``LookupService``; its completion comes on the event
/// loop at once (a cache hit, a cancel) or later on a resolver thread, which posts it to
/// the ``AnswerInbox``: one event-loop task drains a burst of answers into one write.
/// The cancel rules are `+Cancellation`'s; batching the replies is `+Output`'s.
extension ConnectionHandler {
    func startLookup(_ id: Int64, _ key: LookupKey, allowsStale: Bool = true) {
        guard let context, admitLookup(id: id) else { return }
        server.stats.lookups.add(1, ordering: .relaxed)
        server.stats.inFlight.add(1, ordering: .relaxed)
        client?.lookupStarted()
        server.metrics.started(key)
        // The one check of monitors on the lookup path (docs/performance.md).
        if server.monitors.isActive { monitoredLookups[id] = key }
        // Noted before the start call: a cache hit (or a resolver that is shutting down)
        // completes inside it, and that completion must find the lookup. As `starting`,
        // not in `inFlight`: an insert and a removal per cache hit cost ~500 instructions
        // (callgrind). Nothing starts another lookup inside the call.
        assert(starting == nil, "a lookup started inside another's start call")
        starting = (id, MonotonicClock.microseconds())
        let eventLoop = context.eventLoop
        let handler = NIOLoopBound(self, eventLoop: eventLoop)
        let inbox = self.inbox
        let token = server.lookups.start(key, owner: peer?.uid, connection: connectionID, allowsStale: allowsStale) { result, source in
            if eventLoop.inEventLoop {
                // A cache hit, a local answer or a cancel: answered at once, so that a
                // cancelled lookup's reply goes out before the cancel's own. Or an
                // upstream reply this loop read itself (docs/resolver-core.md).
                handler.value.finishOnLoop(id: id, result: result, source: source)
            } else if inbox.post(id: id, result: result) {
                eventLoop.execute { handler.value.drainInbox() }
            }
        }
        // Still starting: it did not complete inside the call, so it is in flight.
        if let lookup = starting {
            starting = nil
            inFlight[id] = InFlight(token: token, startedAt: lookup.startedAt)
        }
    }

    /// Counts one more lookup (or monitor) in flight if `max_lookups_per_connection` allows;
    /// else answers WSAENOBUFS (nothing when the connection is closing) and returns false.
    @inline(__always)
    func admitLookup(id: Int64) -> Bool {
        let limit = server.limits.maxLookupsPerConnection
        switch state.lookupRequested(limit: limit) {
        case .startLookup:
            return true
        case .rejectTooManyInFlight:
            server.stats.rejected.add(1, ordering: .relaxed)
            let error = ResolverError(code: .noBufferSpace, message: "too many lookups in flight on this connection (limit \(limit))")
            write(ReplyEncoder.failure(id: id, error: error, allocator: allocator))
            return false
        case .ignore:
            return false
        }
    }

    /// Finishes a lookup answered on this loop. Inside a read burst (a cache hit, a cancel)
    /// the reply goes out with the burst's, and one a timer answers with the others of the
    /// loop's pass (the flush task). One answered by upstream replies this loop read
    /// (``UpstreamReplyDelivery``) goes out at once when the connection has nothing else in
    /// flight — no later reply could share its write, and it need not wait for the rest of
    /// the burst's work: c-ares' clean-up, the reader's next `recv` — else at the end of the
    /// burst, with the others the burst answers.
    func finishOnLoop(id: Int64, result: Result<LookupValue, ResolverError>, source: LookupSource?) {
        guard !output.flushPending, let flushes = UpstreamReplyDelivery.current else {
            finish(id: id, result: result, source: source)
            return
        }
        output.flushPending = true  // flushed here or by the burst, not by a task of its own
        finish(id: id, result: result, source: source)
        if inFlight.isEmpty { flushOutput() } else { flushes.add(self) }
    }

    /// Answers everything the resolver threads have posted, in one write.
    func drainInbox() {
        output.flushPending = true  // flushed at the end, not by a task of its own
        for answer in inbox.take() {
            finish(id: answer.id, result: answer.result)
        }
        flushOutput()
    }

    /// `source`: given when answered on this loop; else (the inbox) the token's.
    func finish(id: Int64, result: Result<LookupValue, ResolverError>, source: LookupSource? = nil) {
        let wasInFlight: Bool
        var answeredFrom = LookupSource.upstream
        let entry: InFlight?
        if let lookup = starting, lookup.id == id {
            starting = nil  // completed inside its start call
            entry = InFlight(token: nil, startedAt: lookup.startedAt)
        } else {
            entry = inFlight.removeValue(forKey: id)
        }
        if let entry {
            let latency = MonotonicClock.microseconds() &- entry.startedAt
            answeredFrom = source ?? entry.token?.source ?? .upstream
            if !monitoredLookups.isEmpty { reportToMonitors(id: id, result: result, source: answeredFrom, latency: latency) }
            server.lookupFinished(result, source: answeredFrom, latency: latency, client: client)
            wasInFlight = true
        } else {
            server.lookupFinished(result, source: answeredFrom, latency: nil, client: client)
            wasInFlight = false
        }
        writeLine(LookupReplyLine(id: id, result: result))
        // Almost always empty: skip the hash lookup on the path of every reply.
        if !cancelRepliesAfterLookup.isEmpty, let waiting = cancelRepliesAfterLookup.removeValue(forKey: id) {
            for reply in waiting { writeCancelReply(reply) }
        }
        if wasInFlight { execute(state.lookupFinished()) }
    }
}
