/// The `stats` result in the Prometheus text exposition format (version 0.0.4), as
/// node_exporter users expect it: a `# HELP` that says what each metric counts, a
/// `# TYPE`, counters named `_total`, the latency as a histogram (`_bucket{le=…}`, `_sum`,
/// `_count`), and labels for the op, the client uid, the upstream and the front end.
/// `resolvdctl stats --prometheus` and the daemon's `/metrics` both print this.
///
/// Every metric is a ``PrometheusFamily``; a labelled metric is one family whose samples
/// carry the label (the per-upstream ones: StatsResult+UpstreamMetrics.swift).
public struct PrometheusFamily: Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public var name: String
    public var help: String
    public var kind: Kind
    /// Each sample: the suffix after `name` (`_bucket`, or empty), its labels, its value as text.
    public var samples: [(suffix: String, labels: [(String, String)], value: String)]

    public init(name: String, help: String, kind: Kind, samples: [(suffix: String, labels: [(String, String)], value: String)]) {
        (self.name, self.help, self.kind, self.samples) = (name, help, kind, samples)
    }

    /// One unlabelled value.
    public init(name: String, help: String, kind: Kind, value: Int) {
        self.init(name: name, help: help, kind: kind, samples: [("", [], String(value))])
    }

    /// `# HELP`, `# TYPE` and the samples, each line ending in a newline.
    public var text: String {
        var text = "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        for sample in samples {
            text += name + sample.suffix
            if !sample.labels.isEmpty {
                text += "{" + sample.labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " \(sample.value)\n"
        }
        return text
    }

    /// `\` and newline escaped, as HELP text needs; `quote` also escapes `"` (label values).
    static func escapeHelp(_ text: String, quote: Bool = false) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\"" where quote: escaped += "\\\""
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func escapeLabel(_ text: String) -> String {
        escapeHelp(text, quote: true)
    }
}

extension StatsResult {
    /// The metrics, one family each, in a fixed order.
    public var prometheusFamilies: [PrometheusFamily] {
        func counter(_ name: String, _ help: String, _ value: Int) -> PrometheusFamily {
            PrometheusFamily(name: "resolvd_\(name)_total", help: help, kind: .counter, value: value)
        }
        func gauge(_ name: String, _ help: String, _ value: Int) -> PrometheusFamily {
            PrometheusFamily(name: "resolvd_\(name)", help: help, kind: .gauge, value: value)
        }
        var families: [PrometheusFamily] = []
        if lookupsByOperation.counts.isEmpty {
            families.append(counter("lookups", "Lookups started.", lookups))
        } else {
            families.append(PrometheusFamily(
                name: "resolvd_lookups_total", help: "Lookups started, by op.", kind: .counter,
                samples: lookupsByOperation.counts.map { ("", [("op", $0.operation.rawValue)], String($0.count)) }))
        }
        families += [
            counter("lookups_completed", "Lookups answered, whatever the outcome.", completed),
            counter("lookups_failed", "Lookups answered with an error other than a timeout, cancel or abort.", failed),
            counter("lookups_timed_out", "Lookups that timed out (WSAETIMEDOUT).", timedOut),
            counter("lookups_cancelled", "Lookups cancelled by their client (WSA_E_CANCELLED).", cancelled),
            counter("lookups_aborted", "Lookups aborted by cancel_all, a closed connection or shutdown (ERROR_OPERATION_ABORTED).", aborted),
            counter("lookups_coalesced", "Lookups that joined an identical lookup already in flight.", coalesced),
            counter("requests_rejected", "Requests refused by a limit (WSAENOBUFS).", rejected),
            counter("protocol_errors", "Request lines that were not valid protocol v1.", protocolErrors),
            counter("reloads", "Configuration reloads that took effect.", reloads),
            counter("cache_hits", "Lookups answered from the cache.", cache.hits),
            counter("cache_misses", "Cacheable lookups the cache could not answer.", cache.misses),
            counter("cache_evictions", "Cache entries dropped to stay within the cache's bounds.", cache.evictions),
            gauge("lookups_in_flight", "Lookups started and not yet answered.", inFlight),
            gauge("connections", "Client connections open.", connections),
            gauge("cache_entries", "Entries in the answer cache.", cache.entries),
            gauge("cache_bytes", "Estimated bytes held by the answer cache.", cache.bytes),
            gauge("upstream_channels", "c-ares channels the resolver runs.", upstream.channels),
            gauge("upstream_queries_in_flight_per_channel", "Upstream queries a channel may have in flight.", upstream.queriesInFlightPerChannel),
            gauge("upstream_receive_buffer_bytes", "Receive buffer of the upstream sockets, as granted (0: not measured).", upstream.receiveBufferBytes),
            counter("upstream_replies_dropped", "Upstream replies dropped because their channel held as many waiting as it may.", upstream.repliesDropped),
        ]
        if !latencyHistogram.bounds.isEmpty {
            var samples: [(suffix: String, labels: [(String, String)], value: String)] = zip(latencyHistogram.bounds, latencyHistogram.counts).map {
                ("_bucket", [("le", Self.seconds($0.0))], String($0.1))
            }
            samples.append(("_bucket", [("le", "+Inf")], String(latencyHistogram.count)))
            samples.append(("_sum", [], Self.seconds(latencyHistogram.sum)))
            samples.append(("_count", [], String(latencyHistogram.count)))
            families.append(PrometheusFamily(
                name: "resolvd_lookup_duration_seconds", help: "Lookup latency from request to reply.", kind: .histogram,
                samples: samples))
        }
        families += upstreamAndCacheFamilies
        families += routeFamilies
        let clientCounters: [(String, String, KeyPath<ClientStatistics, Int>)] = [
            ("client_lookups", "Lookups started by the busiest client uids.", \.lookups),
            ("client_cache_hits", "Lookups of the busiest client uids answered from the cache.", \.cacheHits),
            ("client_failures", "Failed lookups of the busiest client uids.", \.failures),
            ("client_cancelled", "Cancelled or aborted lookups of the busiest client uids.", \.cancelled),
        ]
        if !clients.isEmpty {
            for (name, help, path) in clientCounters {
                families.append(PrometheusFamily(
                    name: "resolvd_\(name)_total", help: help, kind: .counter,
                    samples: clients.map { ("", [("uid", String($0.uid))], String($0[keyPath: path])) }))
            }
        }
        return families
    }

    /// The whole exposition, every family in order.
    public var prometheusText: String {
        prometheusFamilies.map(\.text).joined()
    }

    /// Microseconds as seconds in decimal, exactly (`2500` → `0.0025`).
    static func seconds(_ microseconds: Int) -> String {
        let whole = microseconds / 1_000_000
        var fraction = String(microseconds % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
    }
}
