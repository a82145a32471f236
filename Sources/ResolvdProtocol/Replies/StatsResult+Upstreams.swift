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
        Self.writeArray("upstreams", upstreams, to: &sink) { $0.write(to: &$1) }
    }

    /// Reads `upstreams`: absent (a daemon from before it existed) reads as none; present,
    /// it must be an array of well-formed entries.
    static func upstreams(in object: JSONObject) -> [UpstreamStatus]? {
        array("upstreams", in: object, UpstreamStatus.init(json:))
    }

    /// Writes `,"KEY":[…]`, each element by `write`.
    static func writeArray<Sink: JSONSink, Element>(
        _ key: String, _ elements: [Element], to sink: inout Sink, _ write: (Element, inout Sink) -> Void
    ) {
        sink.raw(",")
        sink.string(key)
        sink.raw(":[")
        for (index, element) in elements.enumerated() {
            if index > 0 { sink.raw(",") }
            write(element, &sink)
        }
        sink.raw("]")
    }

    /// Reads the array member `key`: absent reads as empty (a daemon from before it
    /// existed); present, every element must read.
    static func array<Element>(_ key: String, in object: JSONObject, _ read: (JSONValue) -> Element?) -> [Element]? {
        guard let value = object[key] else { return [] }
        guard let array = value.arrayValue else { return nil }
        var elements: [Element] = []
        for json in array {
            guard let element = read(json) else { return nil }
            elements.append(element)
        }
        return elements
    }
}
