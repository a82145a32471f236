extension StatsResult {
    /// One upstream as `stats` reports it (an element of `upstreams`, docs/protocol.md):
    /// its health as failover sees it, and its traffic since the resolver started (a
    /// reload starts again from zero).
    public struct UpstreamEntry: Hashable, Sendable {
        /// `HOST:PORT` (IPv6 in brackets).
        public var address: String
        /// False while it is asked after every upstream that is up, and probed.
        public var up: Bool
        /// When it last went up or down, in milliseconds since the Unix epoch (`since_unix_ms`).
        public var sinceUnixMilliseconds: Int
        public var consecutiveFailures: Int
        /// Queries sent (tries and probes), replies received, tries that timed out.
        public var queries, answers, timeouts: Int
        /// Replies with rcode SERVFAIL (`servfail`), REFUSED, with the TC bit (`truncated`).
        public var serverFailures, refused, truncated: Int
        /// Socket errors (port unreachable, reset) and probes sent while down.
        public var errors, probes: Int
        /// Round-trip time percentiles in microseconds (`rtt_p50_us`, `rtt_p99_us`); 0 before any.
        public var roundTripP50Microseconds, roundTripP99Microseconds: Int

        public init(
            address: String, up: Bool, sinceUnixMilliseconds: Int = 0, consecutiveFailures: Int = 0,
            queries: Int = 0, answers: Int = 0, timeouts: Int = 0, serverFailures: Int = 0, refused: Int = 0,
            truncated: Int = 0, errors: Int = 0, probes: Int = 0,
            roundTripP50Microseconds: Int = 0, roundTripP99Microseconds: Int = 0
        ) {
            self.address = address
            self.up = up
            self.sinceUnixMilliseconds = sinceUnixMilliseconds
            self.consecutiveFailures = consecutiveFailures
            (self.queries, self.answers, self.timeouts) = (queries, answers, timeouts)
            (self.serverFailures, self.refused, self.truncated) = (serverFailures, refused, truncated)
            (self.errors, self.probes) = (errors, probes)
            (self.roundTripP50Microseconds, self.roundTripP99Microseconds) = (roundTripP50Microseconds, roundTripP99Microseconds)
        }

        /// The integer members by wire name, in wire order (after `address` and `up`).
        static var counters: [(String, WritableKeyPath<UpstreamEntry, Int>)] {
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
            for (key, path) in Self.counters {
                guard let value: Int = object.integer(key) else { return nil }
                self[keyPath: path] = value
            }
        }

        func write<Sink: JSONSink>(to sink: inout Sink) {
            sink.raw("{\"address\":")
            sink.string(address)
            sink.raw(up ? ",\"up\":true" : ",\"up\":false")
            for (key, path) in Self.counters {
                sink.raw(",")
                sink.string(key)
                sink.raw(":")
                sink.integer(self[keyPath: path])
            }
            sink.raw("}")
        }
    }

    /// Writes `,"upstreams":[…]` (the last member of the result).
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
    static func upstreams(in object: JSONObject) -> [UpstreamEntry]? {
        guard let value = object["upstreams"] else { return [] }
        guard let array = value.arrayValue else { return nil }
        var entries: [UpstreamEntry] = []
        for element in array {
            guard let entry = UpstreamEntry(json: element) else { return nil }
            entries.append(entry)
        }
        return entries
    }
}
