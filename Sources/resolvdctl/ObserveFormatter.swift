import ResolverClient

#if canImport(Glibc)
import Glibc
#endif

/// How `monitor`, `show-cache` and `stats` print for people: aligned columns and
/// sections, like `resolvectl monitor`, `show-cache` and `statistics`.
enum ObserveFormatter {
    /// `18:40:01.123456  uid 1000 firefox  getaddrinfo www.example.test  OK 192.0.2.1  cache  123 µs`
    /// Every field a client or the network chose (the name, the program's name, the summary)
    /// is escaped before it is padded, and the line once more as a whole (``TerminalText``).
    static func line(_ event: MonitorEvent, program: String?) -> String {
        let safe = TerminalText.escaped
        let clock = event.time.split(separator: "T").last.map { String($0.dropLast()) } ?? event.time
        let who = event.peer.map { "uid \($0.uid)" + (program.map { " \(safe($0))" } ?? " pid \($0.pid)") } ?? "unknown"
        var what = event.operation.rawValue + " " + safe(event.name ?? event.address ?? "")
        if let type = event.type, event.operation == .query { what += " " + safe(type) }
        let result = event.status == 0 ? "OK \(safe(event.summary))" : "\(event.error ?? String(event.status))"
        var line = [clock, pad(who, 22), pad(what, 40), pad(result, 30), pad(event.source.rawValue, 9), "\(event.latencyMicroseconds) µs"]
            .joined(separator: "  ")
        // The route, when it is not the default one (docs/routing.md).
        if let route = event.route, route != "." { line += "  via \(safe(route))" }
        if event.dropped > 0 { line += "  (\(event.dropped) events dropped before this one)" }
        return safe(line)
    }

    /// The program's name from /proc/PID/comm, when readable (not under ProtectProc, not gone).
    static func programName(pid: Int32) -> String? {
        guard let file = fopen("/proc/\(pid)/comm", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 64)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return name.hasSuffix("\n") ? String(name.dropLast()) : name
    }

    /// `dump_cache` as a table: question, type, op, TTL, positive/negative, size.
    static func cache(_ result: JSONValue) -> [String]? {
        guard let dump = DumpCacheResult(json: result) else { return nil }
        let width = dump.entries.map { TerminalText.escaped($0.question).count }.max() ?? 0
        var lines = dump.entries.map { entry in
            [
                pad(TerminalText.escaped(entry.question), width), pad(TerminalText.escaped(entry.type ?? "-"), 5), pad(entry.operation.rawValue, 13), pad("ttl \(entry.ttl)", 10),
                pad(entry.positive ? "positive" : "negative", 8), "\(entry.bytes) bytes",
            ].joined(separator: "  ")
        }
        lines.append("\(dump.entries.count) of \(dump.total) entries")
        return lines
    }

    /// The stats in sections, as `resolvectl statistics` prints them.
    static func stats(_ result: JSONValue) -> [String]? {
        guard let stats = StatsResult(json: result) else { return nil }
        func section(_ title: String, _ rows: [(String, Int)]) -> [String] {
            let width = rows.map(\.0.count).max() ?? 0
            return [title] + rows.map { "  " + pad($0.0 + ":", width + 1) + "  " + String($0.1) }
        }
        let hitRate = stats.cache.hits + stats.cache.misses == 0 ? 0 : 100 * stats.cache.hits / (stats.cache.hits + stats.cache.misses)
        var lines = section("Lookups", [
            ("In flight", stats.inFlight), ("Started", stats.lookups), ("Completed", stats.completed), ("Failed", stats.failed),
            ("Timed out", stats.timedOut), ("Cancelled", stats.cancelled), ("Aborted", stats.aborted), ("Rejected", stats.rejected),
            ("Coalesced", stats.coalesced), ("Latency p50 µs", stats.latency.p50), ("Latency p99 µs", stats.latency.p99),
            ("Latency p999 µs", stats.latency.p999),
        ])
        lines += [""] + section("Cache", [
            ("Entries", stats.cache.entries), ("Bytes", stats.cache.bytes), ("Hits", stats.cache.hits), ("Misses", stats.cache.misses),
            ("Hit rate %", hitRate), ("Evictions", stats.cache.evictions), ("Stale answers", stats.cache.stale),
            ("Prefetches", stats.cache.prefetches),
        ])
        lines += [""] + section("Daemon", [
            ("Connections", stats.connections), ("Protocol errors", stats.protocolErrors), ("Reloads", stats.reloads),
            ("Upstream channels", stats.upstream.channels), ("Queries per channel", stats.upstream.queriesInFlightPerChannel),
            ("Receive buffer bytes", stats.upstream.receiveBufferBytes), ("Upstream replies dropped", stats.upstream.repliesDropped),
            ("Lookups over v1", stats.frontEnds.v1),
            ("Lookups over Varlink", stats.frontEnds.varlink), ("Lookups over DNS", stats.frontEnds.dns),
        ])
        if !stats.clients.isEmpty {
            lines += ["", "Clients (busiest uids)"]
            let header = ["uid", "lookups", "cache hits", "failures", "cancelled", "in flight"]
            lines += table(header, stats.clients.map { [String($0.uid)] + $0.counters.map(String.init) })
        }
        if !stats.upstreams.isEmpty {
            lines += ["", "Upstreams"] + upstreamTable(stats.upstreams)
        }
        if stats.routes.count > 1 {
            lines += ["", "Routes"] + table(["route", "domains", "lookups"], stats.routes.map { [$0.name, String($0.domains), String($0.lookups)] })
        }
        return lines
    }

    /// A header and rows in aligned columns, indented, without trailing blanks; each cell escaped.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        let rows = rows.map { $0.map(TerminalText.escaped) }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            let text = "  " + row.enumerated().map { pad($0.element, widths[$0.offset]) }.joined(separator: "  ")
            return String(text.reversed().drop { $0 == " " }.reversed())
        }
    }

    /// The stats in the Prometheus text exposition format (StatsResult+Prometheus.swift).
    static func prometheus(_ result: JSONValue) -> [String]? {
        guard let stats = StatsResult(json: result) else { return nil }
        // One element per line: printLines escapes each, so a newline inside one would show as \x0a.
        var lines = stats.prometheusText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }  // print adds the last newline
        return lines
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
