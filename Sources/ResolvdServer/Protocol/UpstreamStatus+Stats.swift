import ResolvdProtocol
import ResolverCore

extension StatsResult.UpstreamEntry {
    /// The `stats` form of what the resolver knows about one upstream.
    init(_ status: UpstreamStatus) {
        self.init(
            address: status.address, up: status.up, sinceUnixMilliseconds: status.sinceUnixMilliseconds,
            consecutiveFailures: status.consecutiveFailures, queries: status.queries, answers: status.answers,
            timeouts: status.timeouts, serverFailures: status.serverFailures, refused: status.refused,
            truncated: status.truncated, errors: status.errors, probes: status.probes,
            roundTripP50Microseconds: status.roundTripP50Microseconds,
            roundTripP99Microseconds: status.roundTripP99Microseconds)
    }
}
