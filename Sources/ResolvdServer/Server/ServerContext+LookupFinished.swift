import ResolvdProtocol
import ResolverCore

/// The per-lookup bookkeeping every front end does when a lookup is answered, written once:
/// the latency (when the lookup was in flight), the outcome's counter, and the client's row
/// in `stats` — a cache hit when the cache answered it, serve-stale included.
///
/// It does not write the reply or report to monitors: each front end does that in its own
/// words (the event's `frontend` differs).
extension ServerContext {
    func lookupFinished(_ result: Result<LookupValue, ResolverError>, source: LookupSource, latency: UInt64?, client: ClientCounters?) {
        if let latency { stats.recordLatency(microseconds: latency) }
        let code = result.resultCode
        stats.recordOutcome(code)
        client?.lookupFinished(code, fromCache: Self.isFromCache(result, source: source))
    }

    /// Answered from the cache: a hit, or an expired entry served stale.
    static func isFromCache(_ result: Result<LookupValue, ResolverError>, source: LookupSource) -> Bool {
        if case .success(.stale) = result { return true }
        return source == .cache
    }
}
