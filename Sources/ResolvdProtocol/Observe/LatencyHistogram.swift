/// Lookup latency as cumulative buckets (`stats` → `latency_histogram_us`), the shape of a
/// Prometheus histogram: `counts[i]` lookups took at most `bounds[i]` µs; `count` is every
/// lookup (the `+Inf` bucket) and `sum` their total latency in µs.
public struct LatencyHistogram: Hashable, Sendable, JSONWritable {
    /// The upper bounds the daemon reports, in microseconds: 50 µs … 10 s.
    public static let defaultBounds: [Int] = [
        50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
        10_000_000,
    ]

    public var bounds: [Int]
    public var counts: [Int]
    public var count: Int
    public var sum: Int

    public init(bounds: [Int] = [], counts: [Int] = [], count: Int = 0, sum: Int = 0) {
        (self.bounds, self.counts, self.count, self.sum) = (bounds, counts, count, sum)
    }

    public func write<Sink: JSONSink>(to sink: inout Sink) {
        func list(_ values: [Int]) {
            sink.raw("[")
            for (index, value) in values.enumerated() {
                if index > 0 { sink.raw(",") }
                sink.integer(value)
            }
            sink.raw("]")
        }
        sink.raw("{\"le\":")
        list(bounds)
        sink.raw(",\"counts\":")
        list(counts)
        sink.raw(",\"count\":")
        sink.integer(count)
        sink.raw(",\"sum\":")
        sink.integer(sum)
        sink.raw("}")
    }

    public init?(json: JSONValue?) {
        guard let object = json?.objectValue, let bounds = object["le"]?.arrayValue?.compactMap(\.intValue),
              let counts = object["counts"]?.arrayValue?.compactMap(\.intValue), bounds.count == counts.count,
              let count: Int = object.integer("count"), let sum: Int = object.integer("sum") else { return nil }
        self.init(bounds: bounds.map(Int.init), counts: counts.map(Int.init), count: count, sum: sum)
    }
}

/// Lookups started per op (`stats` → `lookups_by_op`), in ``Operation`` order, lookup ops only.
public struct LookupsByOperation: Hashable, Sendable, JSONWritable {
    public var counts: [(operation: Operation, count: Int)]

    public init(counts: [(operation: Operation, count: Int)] = []) {
        self.counts = counts
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.counts.map(\.operation) == rhs.counts.map(\.operation) && lhs.counts.map(\.count) == rhs.counts.map(\.count)
    }

    public func hash(into hasher: inout Hasher) {
        for (operation, count) in counts {
            hasher.combine(operation)
            hasher.combine(count)
        }
    }

    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{")
        for (index, entry) in counts.enumerated() {
            if index > 0 { sink.raw(",") }
            sink.string(entry.operation.rawValue)
            sink.raw(":")
            sink.integer(entry.count)
        }
        sink.raw("}")
    }

    public init?(json: JSONValue?) {
        guard let object = json?.objectValue else { return nil }
        self.init(counts: Operation.allCases.filter(\.isLookup).compactMap { operation in
            (object.integer(operation.rawValue) as Int?).map { (operation, $0) }
        })
    }
}
