import ResolverTypes
/// The result of `dump_cache` (docs/protocol.md): the answer cache's entries, most
/// recently used first, at most the request's `limit` of them; `total` is how many the
/// cache holds, so a client sees when the list was cut.
public struct DumpCacheResult: Hashable, Sendable, JSONWritable {
    /// One cache entry: the question it answers, how long it stays, whether it is an
    /// answer or a cached failure (NXDOMAIN, NODATA), and what it counts against `cache_max_bytes`.
    public struct Entry: Hashable, Sendable {
        public var operation: Operation
        /// The name, address, port or number asked, as text.
        public var question: String
        /// The record type (`query`), the family or the protocol, when the op has one.
        public var type: String?
        /// Seconds until it expires.
        public var ttl: Int
        public var positive: Bool
        public var bytes: Int
        /// The records it holds, TTLs counted down (the zone's SOA for a negative entry), as
        /// in a `query` result.
        public var records: [DNSRecord]

        public init(operation: Operation, question: String, type: String?, ttl: Int, positive: Bool, bytes: Int, records: [DNSRecord] = []) {
            (self.operation, self.question, self.type, self.ttl, self.positive, self.bytes) = (operation, question, type, ttl, positive, bytes)
            self.records = records
        }
    }

    public var entries: [Entry]
    public var total: Int

    public init(entries: [Entry], total: Int) {
        self.entries = entries
        self.total = total
    }

    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"total\":")
        sink.integer(total)
        sink.raw(",\"entries\":[")
        for (index, entry) in entries.enumerated() {
            sink.raw(index == 0 ? "{\"op\":" : ",{\"op\":")
            sink.string(entry.operation.rawValue)
            sink.raw(",\"question\":")
            sink.string(entry.question)
            if let type = entry.type {
                sink.raw(",\"type\":")
                sink.string(type)
            }
            sink.raw(",\"ttl\":")
            sink.integer(entry.ttl)
            sink.raw(entry.positive ? ",\"positive\":true,\"bytes\":" : ",\"positive\":false,\"bytes\":")
            sink.integer(entry.bytes)
            sink.raw(",\"records\":[")
            for (index, record) in entry.records.enumerated() {
                if index > 0 { sink.raw(",") }
                sink.dnsRecord(record)
            }
            sink.raw("]}")
        }
        sink.raw("]}")
    }

    public init?(json: JSONValue) {
        guard let object = json.objectValue, let total: Int = object.integer("total"),
              let list = object["entries"]?.arrayValue else { return nil }
        var entries: [Entry] = []
        for element in list {
            guard let entry = element.objectValue,
                  let operation = entry["op"]?.stringValue.flatMap(Operation.init(rawValue:)),
                  let question = entry["question"]?.stringValue, let ttl: Int = entry.integer("ttl"),
                  let positive = entry["positive"]?.boolValue, let bytes: Int = entry.integer("bytes") else { return nil }
            let records = entry["records"]?.arrayValue?.compactMap(DNSRecord.init(json:)) ?? []
            entries.append(Entry(
                operation: operation, question: question, type: entry["type"]?.stringValue, ttl: ttl, positive: positive, bytes: bytes,
                records: records))
        }
        self.init(entries: entries, total: total)
    }
}

extension Request {
    /// `dump_cache` without a `limit`.
    public static let defaultDumpCacheLimit: Int64 = 1_000
    /// The largest `limit`: a reply line stays far below a megabyte per thousand entries.
    public static let maxDumpCacheLimit: Int64 = 100_000
}
