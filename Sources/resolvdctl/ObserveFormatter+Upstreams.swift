import ResolverClient

#if canImport(Glibc)
import Glibc
#endif

/// The *Upstreams* section of `resolvdctl stats`: one row per configured upstream, in the
/// order the daemon was given them — whether it is up and since when, its traffic, its
/// failures by kind, and its round-trip time (docs/operations.md, "Which upstream is slow
/// or failing"). What `resolvectl statistics` does not show: per-server figures.
extension ObserveFormatter {
    static let upstreamHeader = [
        "upstream", "state", "since (UTC)", "queries", "answers", "timeouts", "servfail", "refused", "truncated", "errors",
        "probes", "rtt p50 µs", "rtt p99 µs",
    ]

    /// With routes (docs/routing.md), a *route* column after the address.
    static func upstreamTable(_ upstreams: [UpstreamStatus]) -> [String] {
        let routed = upstreams.contains { $0.route != "." }
        let header = routed ? [upstreamHeader[0], "route"] + upstreamHeader.dropFirst() : upstreamHeader
        return table(header, upstreams.map { upstream in
            [upstream.address] + (routed ? [upstream.route] : []) + [upstream.up ? "up" : "DOWN", utcTime(unixMilliseconds: upstream.sinceUnixMilliseconds)]
                + [
                    upstream.queries, upstream.answers, upstream.timeouts, upstream.serverFailures, upstream.refused,
                    upstream.truncated, upstream.errors, upstream.probes, upstream.roundTripP50Microseconds,
                    upstream.roundTripP99Microseconds,
                ].map(String.init)
        })
    }

    /// `2026-11-29T18:40:01Z`, one word; `-` for 0 (not known).
    static func utcTime(unixMilliseconds: Int) -> String {
        guard unixMilliseconds > 0 else { return "-" }
        var seconds = time_t(unixMilliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
