import Histogram
import ResolvdProtocol

/// Every lookup's latency, kept two ways under one lock: an HDR histogram for the
/// percentiles of `stats`, and plain counts per bucket of ``LatencyHistogram/defaultBounds``
/// with the exact sum for `latency_histogram_us` and Prometheus.
///
/// The bucket counts are kept as lookups finish (a few comparisons each) because asking the
/// HDR histogram for them walks its tens of thousands of sub-buckets once per bound: a
/// `stats` poll then held the lock long enough to slow every finishing lookup behind it.
/// Does not take a lock of its own: ``ServerStats`` keeps it in one.
struct LatencyRecord {
    /// 1 µs … 1 hour, 3 significant digits.
    private(set) var histogram = Histogram<UInt64>(highestTrackableValue: LatencyRecord.longest, numberOfSignificantValueDigits: .three)
    /// Lookups per bucket: index i counts latencies in (bounds[i-1], bounds[i]]; the last
    /// counts those above every bound.
    private var perBucket = [Int](repeating: 0, count: LatencyHistogram.defaultBounds.count + 1)
    private var sum = 0

    static let longest: UInt64 = 3_600_000_000

    mutating func record(microseconds: UInt64) {
        let value = max(1, min(microseconds, Self.longest))
        _ = histogram.record(value)
        sum += Int(value)
        let bounds = LatencyHistogram.defaultBounds
        var index = 0
        while index < bounds.count, Int(value) > bounds[index] { index += 1 }
        perBucket[index] += 1
    }

    /// Cumulative counts per bound, as Prometheus wants them.
    var cumulative: LatencyHistogram {
        var running = 0
        let counts = perBucket.dropLast().map { count in
            running += count
            return running
        }
        return LatencyHistogram(bounds: LatencyHistogram.defaultBounds, counts: counts, count: Int(histogram.totalCount), sum: sum)
    }
}
