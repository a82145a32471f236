import ResolverTypes

/// `stats`'s `upstreams` (docs/protocol.md): one object per upstream, the wire form of
/// ``UpstreamStatus``.
extension UpstreamStatus {
    /// The integer members by wire name, in wire order (after `address` and `up`).
    static var counters: [(String, WritableKeyPath<UpstreamStatus, Int>)] {
        [
            ("since_unix_ms", \.sinceUnixMilliseconds), ("consecutive_failures", \.consecutiveFailures),
            ("queries", \.queries), ("answers", \.answers), ("timeouts", \.timeouts),
            ("servfail", \.serverFailures), ("refused", \.refused), ("truncated", \.truncated),
            ("errors", \.errors), ("probes", \.probes),
            ("rtt_p50_us", \.roundTripP50Microseconds), ("rtt_p99_us", \.roundTripP99Microseconds),
        ]
    }

    /// Reads one element of `upstreams`; nil if a member is missing or of the wrong type.
    init?(json: JSONValue) {
        guard let object = json.objectValue, let address = object["address"]?.stringValue,
              let up = object["up"]?.boolValue else { return nil }
        self.init(address: address, up: up)
        // Absent from a daemon older than routes: every upstream was the default route's.
        route = object["route"]?.stringValue ?? "."
        for (key, path) in Self.counters {
            guard let value: Int = object.integer(key) else { return nil }
            self[keyPath: path] = value
        }
    }

    func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"address\":")
        sink.string(address)
        sink.raw(up ? ",\"up\":true" : ",\"up\":false")
        sink.raw(",\"route\":")
        sink.string(route)
        for (key, path) in Self.counters {
            sink.raw(",")
            sink.string(key)
            sink.raw(":")
            sink.integer(self[keyPath: path])
        }
        sink.raw("}")
    }
}

extension StatsResult {
    /// Writes `,"upstreams":[…]` (before `routes`, the last member of the result).
    func writeUpstreams<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw(",\"upstreams\":[")
        for (index, upstream) in upstreams.enumerated() {
            if index > 0 { sink.raw(",") }
            upstream.write(to: &sink)
        }
        sink.raw("]")
    }

    /// Reads `upstreams`: absent (a daemon from before it existed) reads as none; present,
    /// it must be an array of well-formed entries.
    static func upstreams(in object: JSONObject) -> [UpstreamStatus]? {
        guard let value = object["upstreams"] else { return [] }
        guard let array = value.arrayValue else { return nil }
        var entries: [UpstreamStatus] = []
        for element in array {
            guard let entry = UpstreamStatus(json: element) else { return nil }
            entries.append(entry)
        }
        return entries
    }
}
