import ResolverTypes

/// The Prometheus families made from `stats`'s `upstreams` (one sample per upstream,
/// labelled `upstream="HOST:PORT"` as configured), from `cache`'s serve-stale and prefetch
/// counters, and from `front_ends` (labelled `frontend`). Rendered only when the metrics
/// are asked for, from the counters `stats` reads: nothing here runs on the lookup path.
extension StatsResult {
    /// What the upstream counters count, by metric name (without `resolvd_upstream_` and `_total`).
    static var upstreamCounters: [(name: String, help: String, path: KeyPath<UpstreamStatus, Int>)] {
        [
            ("queries", "DNS queries sent to the upstream, over UDP and TCP, retries and health probes included.", \.queries),
            ("answers", "Replies received from the upstream, whatever their rcode.", \.answers),
            ("timeouts", "Tries the upstream did not answer before the resolver moved on to the next upstream or gave up.", \.timeouts),
            ("servfail", "Replies from the upstream with rcode SERVFAIL.", \.serverFailures),
            ("refused", "Replies from the upstream with rcode REFUSED.", \.refused),
            ("truncated", "Replies from the upstream with the TC bit set (the query is asked again over TCP).", \.truncated),
            ("errors", "Socket errors talking to the upstream (ICMP port unreachable, connection refused or reset).", \.errors),
            ("probes", "Health probes sent to the upstream while it was down.", \.probes),
        ]
    }

    /// The cache's serve-stale and prefetch counters, the lookups per front end and the
    /// per-upstream families, in that order; no upstream family when there is no upstream.
    var upstreamAndCacheFamilies: [PrometheusFamily] {
        var families = [
            PrometheusFamily(
                name: "resolvd_cache_stale_answers_total",
                help: "Lookups answered from an expired cache entry (serve-stale, RFC 8767) because the upstreams failed or were slow.",
                kind: .counter, value: cache.stale),
            PrometheusFamily(
                name: "resolvd_cache_prefetches_total",
                help: "Background refreshes started by a cache hit in the last 10 % of the entry's TTL (prefetch).",
                kind: .counter, value: cache.prefetches),
            PrometheusFamily(
                name: "resolvd_frontend_lookups_total",
                help: "Lookups started, by the front end they came from (v1: the resolvd socket, varlink: io.systemd.Resolve, dns: the DNS stub listener).",
                kind: .counter,
                samples: [("", [("frontend", "v1")], String(frontEnds.v1)), ("", [("frontend", "varlink")], String(frontEnds.varlink)),
                          ("", [("frontend", "dns")], String(frontEnds.dns))]),
        ]
        guard !upstreams.isEmpty else { return families }
        func perUpstream(_ name: String, _ kind: PrometheusFamily.Kind, _ help: String, _ value: (UpstreamStatus) -> String) -> PrometheusFamily {
            PrometheusFamily(
                name: "resolvd_upstream_\(name)", help: help, kind: kind,
                samples: upstreams.map { ("", [("upstream", $0.address), ("route", $0.route)], value($0)) })
        }
        for (name, help, path) in Self.upstreamCounters {
            families.append(perUpstream("\(name)_total", .counter, help) { String($0[keyPath: path]) })
        }
        families += [
            perUpstream(
                "up", .gauge,
                "1 while the upstream is up (asked in its configured place), 0 while it is down (asked only after every upstream that is up, and probed)."
            ) { $0.up ? "1" : "0" },
            perUpstream(
                "state_since_timestamp_seconds", .gauge,
                "When the upstream last went up or down, or else when the resolver started or was last reloaded, in seconds since the Unix epoch."
            ) { Self.seconds($0.sinceUnixMilliseconds * 1000) },
            perUpstream(
                "consecutive_failures", .gauge,
                "Failures in a row (timeouts, SERVFAIL, REFUSED, socket errors) since the upstream's last good reply; two take it down."
            ) { String($0.consecutiveFailures) },
            perUpstream(
                "rtt_p50_seconds", .gauge,
                "Median round-trip time of the upstream's replies, in seconds: a quantile over every reply since the resolver started or was last reloaded, not over a recent window; 0 before the first reply."
            ) { Self.seconds($0.roundTripP50Microseconds) },
            perUpstream(
                "rtt_p99_seconds", .gauge,
                "99th percentile of the upstream's round-trip times, in seconds: a quantile over every reply since the resolver started or was last reloaded, not over a recent window; 0 before the first reply."
            ) { Self.seconds($0.roundTripP99Microseconds) },
        ]
        return families
    }
}
