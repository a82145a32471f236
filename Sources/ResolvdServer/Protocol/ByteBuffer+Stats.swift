import NIOCore
import ResolvdProtocol
import ResolverCore

extension ByteBuffer {
    /// The `stats` result: flat counters, then `cache`, `coalesced`, `upstream` and `latency_us`.
    mutating func writeStats(_ stats: ServerStats, lookups: LookupService.Statistics, resolver: CoreResolver) {
        writeStaticString("{")
        for (key, value) in stats.snapshot {
            writeJSONString(key)
            writeStaticString(":")
            writeJSONInteger(value)
            writeStaticString(",")
        }
        writeStaticString("\"cache\":{\"entries\":")
        writeJSONInteger(lookups.entries)
        writeStaticString(",\"bytes\":")
        writeJSONInteger(lookups.bytes)
        writeStaticString(",\"hits\":")
        writeJSONInteger(lookups.hits)
        writeStaticString(",\"misses\":")
        writeJSONInteger(lookups.misses)
        writeStaticString(",\"evictions\":")
        writeJSONInteger(lookups.evictions)
        writeStaticString("},\"coalesced\":")
        writeJSONInteger(lookups.coalesced)
        // What the running resolver measured at start (see ReceiveBufferCapacity); 0 when it could not.
        writeStaticString(",\"upstream\":{\"channels\":")
        writeJSONInteger(resolver.configuration.channelCount)
        writeStaticString(",\"queries_in_flight_per_channel\":")
        writeJSONInteger(resolver.queryLimitPerChannel)
        writeStaticString(",\"receive_buffer_bytes\":")
        writeJSONInteger(resolver.receiveBuffer?.grantedBytes ?? 0)
        writeStaticString("},\"latency_us\":{")
        for (index, (key, value)) in stats.latencyPercentiles.enumerated() {
            if index > 0 { writeStaticString(",") }
            writeJSONString(key)
            writeStaticString(":")
            writeJSONInteger(value)
        }
        writeStaticString("}}")
    }
}
