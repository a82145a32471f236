import NIOCore
import ResolvdProtocol
import ResolverClient
import ResolverTesting
import Testing

/// The replies of the ops that are not lookups (`hello`, `stats`, the cancel ops, the admin
/// ops), defined once in ResolvdProtocol: what the daemon writes (``SuccessLine``) reads
/// back, through the client's readers, as the value it was made from, and its bytes are
/// the ones docs/protocol.md shows (compact: no blank space between tokens).
@Suite struct ProtocolReplyRoundTripTests {
    // MARK: Round trips

    @Test func helloRoundTrips() throws {
        for info in [
            ServerInfo(server: "resolvd", version: "1.0.0", protocolVersion: 1, ops: Operation.wireNames),
            ServerInfo(server: "r\"e\n", version: "", protocolVersion: 0, ops: []),
        ] {
            #expect(ServerInfo(json: try Self.result(of: info)) == info)
        }
    }

    @Test func statsRoundTrips() throws {
        #expect(StatsResult(json: try Self.result(of: StatsResult())) == StatsResult())
        let stats = Self.distinctStats
        #expect(StatsResult(json: try Self.result(of: stats)) == stats)
        #expect(stats.counters.map(\.value) == Array(1...31))
    }

    @Test(arguments: [0, 1, 255, Int(Request.maxID)])
    func countsRoundTrip(_ count: Int) throws {
        #expect(CancelAllResult(json: try Self.result(of: CancelAllResult(cancelled: count))) == CancelAllResult(cancelled: count))
        #expect(FlushCacheResult(json: try Self.result(of: FlushCacheResult(flushed: count))) == FlushCacheResult(flushed: count))
    }

    @Test func emptyRoundTrips() throws {
        #expect(EmptyResult(json: try Self.result(of: EmptyResult())) == EmptyResult())
    }

    /// A result without one of its members, or of the wrong shape, is not read.
    @Test func readersRejectOtherShapes() throws {
        #expect(EmptyResult(json: .array([])) == nil)
        #expect(CancelAllResult(json: try JSONParser.parse(#"{"flushed":1}"#)) == nil)
        #expect(CancelAllResult(json: try JSONParser.parse(#"{"cancelled":"1"}"#)) == nil)
        #expect(FlushCacheResult(json: try JSONParser.parse(#"{"cancelled":1}"#)) == nil)
        #expect(ServerInfo(json: try JSONParser.parse(#"{"server":"resolvd"}"#)) == nil)
        var stats = try #require(try Self.result(of: StatsResult()).objectValue)
        stats["latency_us"] = ["p50": 1]
        #expect(StatsResult(json: .object(stats)) == nil)
        stats["latency_us"] = nil
        #expect(StatsResult(json: .object(stats)) == nil)
    }

    // MARK: The bytes, as docs/protocol.md shows them

    @Test func helloIsTheDocumentedLine() throws {
        let info = ServerInfo(server: "resolvd", version: "1.0.0", protocolVersion: 1, ops: Operation.wireNames)
        let documented = try Self.documented(#"{"server": "resolvd", "version": "1.0.0", "protocol": 1, "ops": [...]}"#)
        let ops = #"["getaddrinfo","getnameinfo","query","gethostbyname","gethostbyaddr","getservbyname","getservbyport","#
            + #""getprotobyname","getprotobynumber","cancel","cancel_async_request","cancel_all","hello","stats","reload","flush_cache","monitor","dump_cache","link","revert_link","routes"]"#
        #expect(Self.line(info, id: 1) == #"{"id":1,"status":0,"result":"# + documented.replacing("[...]", with: ops) + "}\n")
    }

    @Test func statsIsTheDocumentedLine() throws {
        let example = try Self.statsExample()
        var stats = StatsResult()
        (stats.inFlight, stats.connections, stats.lookups, stats.completed) = (0, 1, 3, 3)
        stats.failed = 1
        stats.cache = StatsResult.Cache(entries: 2, bytes: 612, hits: 1, misses: 2, evictions: 0)
        stats.upstream = StatsResult.Upstream(channels: 2, queriesInFlightPerChannel: 166, receiveBufferBytes: 425984)
        stats.latency = StatsResult.Latency(p50: 412, p90: 1260, p99: 1260, p999: 1260)
        stats.frontEnds = StatsResult.FrontEnds(v1: 3, varlink: 0)
        stats.clients = [ClientStatistics(uid: 1000, lookups: 3, cacheHits: 1, failures: 1, cancelled: 0, inFlight: 0)]
        stats.lookupsByOperation = LookupsByOperation(counts: [(.getAddrInfo, 2), (.query, 1)])
        stats.latencyHistogram = LatencyHistogram(bounds: [500, 1000, 2500], counts: [1, 2, 3], count: 3, sum: 2932)
        stats.upstreams = [UpstreamStatus(
            address: "192.0.2.53:53", up: true, sinceUnixMilliseconds: 1795977000000, queries: 3, answers: 3,
            roundTripP50Microseconds: 380, roundTripP99Microseconds: 1100)]
        stats.routes = [RouteStatistics(name: ".", domains: 1, lookups: 2)]
        #expect(Self.line(stats, id: 9) == #"{"id":9,"status":0,"result":"# + example + "}\n")
        #expect(StatsResult(json: try JSONParser.parse(example)) == stats)
    }

    @Test func cancelAllIsTheDocumentedLine() throws {
        let documented = try Self.documented(#"{"cancelled": n}"#)
        #expect(Self.line(CancelAllResult(cancelled: 2), id: 5) == #"{"id":5,"status":0,"result":"# + documented.replacing(":n", with: ":2") + "}\n")
    }

    @Test func flushCacheIsTheDocumentedLine() throws {
        let documented = try Self.documented(#"{"flushed": n}"#)
        #expect(Self.line(FlushCacheResult(flushed: 12), id: 3) == #"{"id":3,"status":0,"result":"# + documented.replacing(":n", with: ":12") + "}\n")
    }

    /// `cancel`, `cancel_async_request` and `reload` all answer `{}`.
    @Test func emptyIsTheDocumentedLine() throws {
        _ = try Self.documented("Replies `{}` (status 0)")
        #expect(Self.line(EmptyResult(), id: Request.maxID) == #"{"id":9007199254740991,"status":0,"result":{}}"# + "\n")
    }

    // MARK: Helpers

    /// Every counter different (1 … 31 in wire order), so that a key read into the wrong
    /// member shows.
    static var distinctStats: StatsResult {
        var stats = StatsResult()
        (stats.inFlight, stats.connections, stats.lookups, stats.completed, stats.cancelled, stats.aborted) = (1, 2, 3, 4, 5, 6)
        (stats.timedOut, stats.failed, stats.protocolErrors, stats.rejected, stats.connectionsRefused, stats.reloads) = (7, 8, 9, 10, 11, 12)
        stats.cache = StatsResult.Cache(entries: 13, bytes: 14, hits: 15, misses: 16, evictions: 17, stale: 18, prefetches: 19)
        stats.coalesced = 20
        stats.upstream = StatsResult.Upstream(channels: 21, queriesInFlightPerChannel: 22, receiveBufferBytes: 23, repliesDropped: 24)
        stats.latency = StatsResult.Latency(p50: 25, p90: 26, p99: 27, p999: 28)
        stats.frontEnds = StatsResult.FrontEnds(v1: 29, varlink: 30, dns: 31)
        stats.upstreams = [
            UpstreamStatus(
                address: "192.0.2.1:53", up: false, sinceUnixMilliseconds: 30, consecutiveFailures: 31, queries: 32,
                answers: 33, timeouts: 34, serverFailures: 35, refused: 36, truncated: 37, errors: 38, probes: 39,
                roundTripP50Microseconds: 40, roundTripP99Microseconds: 41),
            UpstreamStatus(address: "[2001:db8::1]:5353", up: true),
        ]
        return stats
    }

    /// The reply line the daemon writes for `result`, newline included.
    static func line(_ result: some JSONWritable, id: Int64 = 1) -> String {
        var buffer = ByteBuffer()
        buffer.writeJSON(SuccessLine(id: id, result: result))
        return String(buffer: buffer)
    }

    /// The `result` of that line, as the client reads it.
    static func result(of result: some JSONWritable) throws -> JSONValue {
        let reply = try ProtocolRoundTripTests.read(SuccessLine(id: 42, result: result))
        #expect(reply.id == 42 && reply.isSuccess)
        return try #require(reply.result)
    }

    static func protocolDoc() throws -> String {
        try readWholeFile(Repository.root + "/docs/protocol.md")
    }

    /// `text` as docs/protocol.md has it (which it must), without its blank space.
    static func documented(_ text: String) throws -> String {
        #expect(try protocolDoc().contains(text), "docs/protocol.md does not show \(text)")
        return text.filter { $0 != " " }
    }

    /// The `stats` example of docs/protocol.md: the ```json block after "- `stats {}`",
    /// its lines joined.
    static func statsExample() throws -> String {
        let lines = try protocolDoc().split(separator: "\n", omittingEmptySubsequences: false)
        let block = lines.drop { !$0.hasPrefix("- `stats {}`") }
            .drop { !$0.contains("```json") }.dropFirst()
            .prefix { !$0.contains("```") }
        #expect(!block.isEmpty, "docs/protocol.md has no stats example")
        return block.map { $0.drop { $0 == " " } }.joined()
    }
}
