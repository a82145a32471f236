/// One client uid's counters in the `stats` result (`clients`, docs/protocol.md): what the
/// daemon did for the connections of that uid since it started.
public struct ClientStatistics: Hashable, Sendable {
    public var uid: UInt32
    /// Lookups started.
    public var lookups: Int
    /// Lookups answered from the cache.
    public var cacheHits: Int
    /// Lookups answered with an error other than a cancel or an abort.
    public var failures: Int
    /// Lookups cancelled (10111) or aborted (995).
    public var cancelled: Int
    public var inFlight: Int

    public init(uid: UInt32, lookups: Int = 0, cacheHits: Int = 0, failures: Int = 0, cancelled: Int = 0, inFlight: Int = 0) {
        (self.uid, self.lookups, self.cacheHits, self.failures, self.cancelled, self.inFlight) = (uid, lookups, cacheHits, failures, cancelled, inFlight)
    }

    /// The wire names of the counters, in wire order (after `uid`).
    public static let counterNames = ["lookups", "cache_hits", "failures", "cancelled", "in_flight"]

    public var counters: [Int] { [lookups, cacheHits, failures, cancelled, inFlight] }

    /// The at most ``StatsResult/maxClients`` busiest uids a `stats` reports.
    public static let reported = 16
}

/// `"clients":[{"uid":n,"lookups":n,…},…]`, written after the integer members of `stats`.
struct ClientStatisticsList: JSONWritable {
    var clients: [ClientStatistics]

    func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("[")
        for (index, client) in clients.enumerated() {
            sink.raw(index == 0 ? "{\"uid\":" : ",{\"uid\":")
            sink.integer(client.uid)
            for (name, value) in zip(ClientStatistics.counterNames, client.counters) {
                sink.raw(",")
                sink.string(name)
                sink.raw(":")
                sink.integer(value)
            }
            sink.raw("}")
        }
        sink.raw("]")
    }

    /// Reads the list; entries that are not objects with integer counters are skipped.
    init?(json: JSONValue?) {
        guard let list = json?.arrayValue else { return nil }
        clients = list.compactMap { element in
            guard let object = element.objectValue, let uid: UInt32 = object.integer("uid") else { return nil }
            let values = ClientStatistics.counterNames.map { (object.integer($0) as Int?) ?? 0 }
            return ClientStatistics(uid: uid, lookups: values[0], cacheHits: values[1], failures: values[2], cancelled: values[3], inFlight: values[4])
        }
    }

    init(_ clients: [ClientStatistics]) {
        self.clients = clients
    }
}
