import ResolvdProtocol
import Testing

@testable import ResolvdServer

/// `latency_histogram_us` as ``LatencyRecord`` keeps it: cumulative counts per bound (a
/// latency equal to a bound counts under it), the exact sum, out-of-range values clamped.
@Suite struct LatencyRecordTests {
    @Test func bucketsAreCumulativeAndABoundIsInclusive() {
        var record = LatencyRecord()
        for value: UInt64 in [0, 50, 51, 100, 2_500, 10_000_001, 7_200_000_000] { record.record(microseconds: value) }
        let histogram = record.cumulative
        func count(atMost bound: Int) -> Int? { histogram.bounds.firstIndex(of: bound).map { histogram.counts[$0] } }
        #expect(histogram.bounds == LatencyHistogram.defaultBounds)
        #expect(count(atMost: 50) == 2, "0 is counted as 1 µs, and 50 is within 50: \(histogram)")
        #expect(count(atMost: 100) == 4)
        #expect(count(atMost: 1_000) == 4 && count(atMost: 2_500) == 5)
        #expect(count(atMost: 10_000_000) == 5, "above the last bound only in count: \(histogram)")
        #expect(histogram.count == 7)
        #expect(histogram.sum == 1 + 50 + 51 + 100 + 2_500 + 10_000_001 + 3_600_000_000, "clamped to an hour")
    }

    @Test func percentilesAndBucketsDescribeTheSameLookups() {
        var record = LatencyRecord()
        for value in 1...1_000 { record.record(microseconds: UInt64(value)) }
        let histogram = record.cumulative
        #expect(histogram.counts[histogram.bounds.firstIndex(of: 500)!] == 500)
        #expect(histogram.count == Int(record.histogram.totalCount))
        #expect((499...501).contains(record.histogram.valueAtPercentile(50)))
    }
}
