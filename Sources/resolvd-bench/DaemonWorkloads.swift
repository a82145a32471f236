import NIOCore
import ResolvdProtocol
import ResolverCore
import ResolverTesting

#if canImport(Glibc)
import Glibc
#endif

/// getaddrinfo lookups (family unspec, socktype stream — the in-process workloads' request)
/// through the daemon's socket with ``PipelinedClient``.
struct DaemonLookupWorkload {
    /// Nil for a daemon started elsewhere (`--external-socket`, e.g. under valgrind).
    var daemon: DaemonChild?
    var socketPath: String
    var inFlight: Int

    /// One lookup per name, `inFlight` outstanding, on a fresh connection.
    func run(workload: String, names: [String], repeatTo total: Int? = nil) throws -> RunResult {
        let client = try PipelinedClient(path: socketPath)
        let encoded = names.map { Request.Command.streamLookup($0).lineTail }
        let items = total ?? names.count
        let cpuBefore = processCPUNanoseconds()
        let daemonBefore = daemon?.cpuNanoseconds() ?? 0
        let upstreamBefore = childCPUNanoseconds(command: "unbound")
        let outcome = try client.run(
            items: items, window: inFlight, requestsPerItem: 1, expectedStatus: [.noError], expectedAddresses: 2
        ) { item, id, out in
            out.append(contentsOf: #"{"id":"#.utf8)
            appendDecimal(id, to: &out)
            out.append(contentsOf: encoded[item % encoded.count])
        }
        var result = RunResult(
            workload: workload, names: items, wallNanoseconds: outcome.wallNanoseconds,
            cpuNanoseconds: processCPUNanoseconds() - cpuBefore, failures: outcome.failures,
            wrongAnswers: outcome.wrongAnswers, retried: 0, udpDrops: 0, latencies: outcome.latencies,
            firstFailure: outcome.firstFailure)
        result.daemonCPUNanoseconds = (daemon?.cpuNanoseconds() ?? 0) - daemonBefore
        result.upstreamCPUNanoseconds = childCPUNanoseconds(command: "unbound") - upstreamBefore
        return result
    }
}

func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
    if value == 0 {
        out.append(0x30)
        return
    }
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var rest = value.magnitude
    withUnsafeMutableBytes(of: &digits) { raw in
        while rest > 0 {
            raw[count] = UInt8(rest % 10) + 0x30
            rest /= 10
            count += 1
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        for index in stride(from: count - 1, through: 0, by: -1) { out.append(raw[index]) }
    }
}

/// Cancellation against a silent upstream: latency of `cancel` with many lookups pending,
/// memory per pending lookup, and memory after many lookup+cancel cycles.
struct CancelWorkload {
    var silent: SilentUpstream
    var pending: Int
    var samples: Int
    var cycles: Int

    struct Result {
        /// From writing `cancel` to reading the lookup's 10111 reply, and to the cancel's own reply.
        var toCancelled: [UInt64]
        var toReply: [UInt64]
        /// A `hello` round trip on the same connection right after each cancel: the control
        /// for what the machine (scheduling, the socket) adds to any request.
        var helloRoundTrip: [UInt64] = []
        var idleRSS: Int
        var pendingRSS: Int
        var cyclesBeforeRSS: Int
        var cyclesAfterRSS: Int
        var cycleFailures: Int
        var cyclesPerSecond: Double
        var firstFailure: String?

        var bytesPerPending: Double { Double(pendingRSS - idleRSS) / Double(max(1, pendingLookups)) }
        var pendingLookups = 0
        var cyclesGrowth: Double { Double(cyclesAfterRSS) / Double(max(1, cyclesBeforeRSS)) - 1 }
    }

    /// Per-try timeout 300 s (the most the configuration allows) and one try: nothing
    /// times out during the run. No per-connection limit in the way.
    static let daemonConfig = """
        timeout_ms = 300000
        tries = 1
        max_lookups_per_connection = 1000000

        """

    func run(run index: Int) throws -> Result {
        var result = Result(toCancelled: [], toReply: [], idleRSS: 0, pendingRSS: 0, cyclesBeforeRSS: 0, cyclesAfterRSS: 0,
                            cycleFailures: 0, cyclesPerSecond: 0)
        // 1. Pending lookups and cancel latency, on a fresh daemon.
        do {
            let daemon = try DaemonChild(upstream: silent.serverAddress, config: Self.daemonConfig)
            defer { daemon.stop() }
            let client = try PipelinedClient(path: daemon.socketPath)
            _ = try client.stat("in_flight")
            usleep(200_000)
            result.idleRSS = daemon.residentBytes()
            var nextName = 0
            func startLookups(_ count: Int) throws {
                var batch: [UInt8] = []
                for _ in 0..<count {
                    batch.append(contentsOf: #"{"id":"#.utf8)
                    appendDecimal(client.takeID(), to: &batch)
                    batch.append(contentsOf: Request.Command.streamLookup("c\(index)-\(nextName).wild.example.test").lineTail)
                    nextName += 1
                }
                batch.withUnsafeBytes { _ = client.writeAll($0) }
            }
            let firstHandle = client.nextID
            try startLookups(pending)
            try waitForInFlight(client, pending)
            usleep(200_000)
            result.pendingRSS = daemon.residentBytes()
            result.pendingLookups = pending
            // Cancel `samples` of them one at a time, refilling every 100 so ~`pending` stay.
            var handle = firstHandle
            var done = 0
            while done < samples {
                let group = min(100, samples - done)
                for _ in 0..<group {
                    let id = client.takeID()
                    let line = Request(id: id, command: .cancel(handle: handle)).lineBytes
                    let begin = monotonicNanoseconds()
                    line.withUnsafeBytes { _ = client.writeAll($0) }
                    var cancelledAt: UInt64 = 0
                    while true {
                        guard let reply = client.readLine() else { throw BenchError("no reply to cancel \(handle)") }
                        let now = monotonicNanoseconds()
                        let replyID = ReplyScan.integer(after: ReplyScan.idKey, in: reply)
                        let status = ReplyScan.integer(after: ReplyScan.statusKey, in: reply)
                        if replyID == handle {
                            guard status == Int64(ResultCode.cancelled.rawValue) else { throw BenchError("lookup \(handle): \(String(decoding: reply, as: UTF8.self))") }
                            cancelledAt = now
                        } else if replyID == id {
                            guard status == Int64(ResultCode.noError.rawValue), cancelledAt != 0 else {
                                throw BenchError("cancel \(handle): \(String(decoding: reply, as: UTF8.self)) (10111 first: \(cancelledAt != 0))")
                            }
                            result.toCancelled.append(cancelledAt - begin)
                            result.toReply.append(now - begin)
                            break
                        }
                    }
                    handle += 1
                    let helloID = client.takeID()
                    let hello = Request(id: helloID, command: .hello).lineBytes
                    let helloBegin = monotonicNanoseconds()
                    hello.withUnsafeBytes { _ = client.writeAll($0) }
                    while true {
                        guard let reply = client.readLine() else { throw BenchError("no reply to hello") }
                        if ReplyScan.integer(after: ReplyScan.idKey, in: reply) == helloID { break }
                    }
                    result.helloRoundTrip.append(monotonicNanoseconds() - helloBegin)
                }
                done += group
                try startLookups(group)
                try waitForInFlight(client, pending)
            }
        }
        // 2. Lookup+cancel cycles, on another fresh daemon: each lookup cancelled right
        //    after it starts (both lines in the same write), 1,000 cycles outstanding.
        do {
            let daemon = try DaemonChild(upstream: silent.serverAddress, config: Self.daemonConfig)
            defer { daemon.stop() }
            let client = try PipelinedClient(path: daemon.socketPath)
            func cycle(_ count: Int, prefix: String) throws -> PipelinedClient.Outcome {
                try client.run(items: count, window: 1_000, requestsPerItem: 2, expectedStatus: [.cancelled, .noError], expectedAddresses: 0) { item, id, out in
                    out.append(contentsOf: Request(id: id, command: .streamLookup("\(prefix)-\(item).wild.example.test")).lineBytes)
                    out.append(contentsOf: Request(id: id + 1, command: .cancel(handle: id)).lineBytes)
                }
            }
            // Warm-up to steady state: the detached-lookup cap (LookupService.detachedLimit), the
            // tables' high-water capacities and malloc's per-thread arenas fill within ~20,000.
            _ = try cycle(20_000, prefix: "w\(index)")
            try waitForInFlight(client, 0)
            usleep(200_000)
            result.cyclesBeforeRSS = daemon.residentBytes()
            let outcome = try cycle(cycles, prefix: "y\(index)")
            try waitForInFlight(client, 0)
            usleep(200_000)
            result.cyclesAfterRSS = daemon.residentBytes()
            result.cycleFailures = outcome.failures
            result.firstFailure = outcome.firstFailure
            result.cyclesPerSecond = Double(cycles) / (Double(outcome.wallNanoseconds) / 1e9)
        }
        return result
    }

    private func waitForInFlight(_ client: PipelinedClient, _ count: Int) throws {
        let deadline = monotonicNanoseconds() + 60_000_000_000
        while try client.stat("in_flight") != count {
            guard monotonicNanoseconds() < deadline else { throw BenchError("in_flight never reached \(count)") }
            usleep(10_000)
        }
    }
}

/// dnsperf (Debian package `dnsperf`) against the unbound fixture: the raw DNS rate.
struct DNSPerfWorkload {
    var server: (host: String, port: UInt16)
    var clients: Int
    var outstanding: Int

    struct Result {
        var queriesPerSecond: Double
        var sent: Int
        var lost: Int
    }

    /// `names` × (A, AAAA), each pass `passes` times.
    func run(names: [String], passes: Int) throws -> Result {
        var template = Array("/tmp/resolvd-bench-dnsperf-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw BenchError("mkstemp failed") }
        close(fd)
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(path) }
        var text = ""
        text.reserveCapacity(names.count * 60)
        for name in names { text += "\(name) A\n\(name) AAAA\n" }
        try writeText(path, text)
        let arguments = ["dnsperf", "-s", server.host, "-p", "\(server.port)", "-d", path, "-c", "\(clients)",
                         "-q", "\(outstanding)", "-n", "\(passes)", "-t", "5"]
        var output = ""
        let status = try runProgram(arguments, output: &output)
        func field(_ label: String) -> Double? {
            guard let line = output.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
            return Double(line.split(separator: ":", maxSplits: 1).last?.split(separator: " ").first ?? "")
        }
        guard status == 0, let qps = field("Queries per second:"), let sent = field("Queries sent:"), let lost = field("Queries lost:") else {
            throw BenchError("\(arguments.joined(separator: " ")) failed (status \(status)):\n\(output)")
        }
        return Result(queriesPerSecond: qps, sent: Int(sent), lost: Int(lost))
    }

    static var commandLine: String { "dnsperf -s 127.0.0.1 -p <port> -d <file> -c <clients> -q <outstanding> -n <passes> -t 5" }
}

extension Request.Command {
    /// The daemon workloads' lookup: getaddrinfo, family unspec, socktype stream (as the
    /// in-process workloads ask).
    static func streamLookup(_ name: String) -> Request.Command {
        .lookup(.addressInfo(AddressInfoRequest(name: name, socketType: .stream)))
    }

    /// What follows `{"id":n` in this command's line, newline included: `,"op":…}\n`.
    var lineTail: [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeStaticString(",")
        buffer.writeJSON(members)
        buffer.writeStaticString("}\n")
        return Array(buffer.readableBytesView)
    }
}

extension Request {
    /// The whole request line, newline included, as the shared encoder writes it.
    var lineBytes: [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeJSON(self)
        buffer.writeStaticString("\n")
        return Array(buffer.readableBytesView)
    }
}
