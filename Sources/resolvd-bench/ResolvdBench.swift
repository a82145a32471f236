import ArgumentParser
import CAres
import ResolverCore
import ResolverTesting

#if canImport(Glibc)
import Glibc
#endif

/// `resolvd-bench`: benchmarks against a local unbound fixture (docs/performance.md).
/// `core` (the default; `make bench-core`) is ResolverCore against a plain single-channel
/// c-ares loop; `all` (`make bench`) is the whole table — the daemon over its socket,
/// cold and cached, ResolverCore, the c-ares loop, glibc's getaddrinfo_a, dnsperf, and
/// cancellation latency and memory. They print figures and judge nothing.
@main
struct ResolvdBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolvd-bench",
        abstract: "resolvd benchmarks against a local unbound.",
        subcommands: [CoreBench.self, FullBench.self, CodecBench.self, RouteBench.self, SoakCommand.self, GlibcNamespaceChild.self],
        defaultSubcommand: CoreBench.self)
}

/// getaddrinfo throughput of ResolverCore against a plain single-channel c-ares loop,
/// both talking to a local unbound fixture.
struct CoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "core",
        abstract: "Lookups/s of ResolverCore vs a single-channel c-ares loop against a local unbound.")

    enum Workloads: String, ExpressibleByArgument, CaseIterable {
        case both, core, ares
    }

    @Option(help: "Measured runs of each workload, interleaved (core, ares, core, ares, ...).")
    var runs = 3

    @Option(help: "Distinct names per run.")
    var names = 20_000

    @Option(name: .customLong("in-flight"), help: "Lookups kept outstanding.")
    var inFlight = 1_000

    @Option(help: "ResolverCore channels (default: ResolverConfiguration's).")
    var channels: Int?

    @Option(name: .customLong("max-in-flight-per-channel"), help: "ResolverCore's per-channel cap (default: ResolverConfiguration's).")
    var maxInFlightPerChannel: Int?

    @Option(help: "Names in one unmeasured warm-up run of each workload first (0: none).")
    var warmup = 2_000

    @Option(name: .customLong("timeout-ms"), help: "Per-try timeout of both workloads, in milliseconds.")
    var timeoutMilliseconds = 2_000

    @Option(help: "Tries of both workloads.")
    var tries = 2

    @Option(name: .customLong("ares-rcvbuf"), help: "The c-ares loop's ARES_OPT_SOCK_RCVBUF in bytes (0: the kernel default, the plain loop).")
    var aresReceiveBuffer = 0

    @Option(help: "Which workloads to run: both, core or ares (one alone is for profiling).")
    var workload: Workloads = .both

    @Flag(name: .customLong("per-run"), help: "Also print every run's figures.")
    var perRun = false

    func validate() throws {
        guard runs >= 1, names >= 1, inFlight >= 1, warmup >= 0, timeoutMilliseconds >= 1, tries >= 1 else {
            throw ValidationError("--runs, --names, --in-flight, --timeout-ms and --tries must be positive")
        }
    }

    func run() throws {
        print("command: \(CommandLine.arguments.joined(separator: " "))")
        let unbound = try UnboundServer.start(zones: [.example], extraConfig: Self.unboundCapacity)
        defer { unbound.stop() }

        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: unbound.serverAddress)])
        configuration.hostsFile = nil
        configuration.timeoutPerTry = .milliseconds(timeoutMilliseconds)
        configuration.tries = tries
        if let channels { configuration.channelCount = channels }
        if let maxInFlightPerChannel { configuration.maxInFlightPerChannel = maxInFlightPerChannel }
        let core = CoreWorkload(configuration: configuration)
        let ares = AresLoopWorkload(
            server: (unbound.host, unbound.port), timeoutMilliseconds: Int32(timeoutMilliseconds), tries: Int32(tries),
            receiveBufferBytes: Int32(clamping: aresReceiveBuffer))

        print("upstream: unbound \(unbound.serverAddress) (1 thread), zone *.wild.example.test A + AAAA")
        let buffer = ReceiveBufferCapacity.measure(requestedBytes: configuration.socketReceiveBufferBytes)
        let queryLimit = configuration.queryLimitPerChannel(receiveBuffer: buffer)
        print("ResolverCore: \(configuration.channelCount) channels, \(queryLimit) queries in flight per channel, "
            + "\(configuration.socketReceiveBufferBytes >> 20) MiB socket receive buffers asked, "
            + "\(buffer.map { "\($0.grantedBytes)" } ?? "?") bytes granted")
        let aresBuffers = aresReceiveBuffer == 0 ? "default socket buffers" : "\(aresReceiveBuffer)-byte receive buffer"
        print("c-ares loop: 1 channel, poll + ares_process_fd, \(aresBuffers); c-ares \(String(cString: ares_version(nil)))")
        print("workload: \(names) distinct names per run, \(inFlight) in flight, family unspec, socktype stream; "
            + "\(runs) runs each, interleaved; per try \(timeoutMilliseconds) ms × \(tries)")
        print("cpus online: \(sysconf(Int32(_SC_NPROCESSORS_ONLN)))")
        print("")

        let runCore = workload != .ares
        let runAres = workload != .core
        if warmup > 0 {
            if runCore { _ = try measured { try core.run(names: Self.names(prefix: "wa", count: warmup), inFlight: inFlight) } }
            if runAres { _ = try measured { try ares.run(names: Self.names(prefix: "wb", count: warmup), inFlight: inFlight) } }
        }
        var coreResults: [RunResult] = []
        var aresResults: [RunResult] = []
        for index in 1...runs {
            if runCore {
                let result = try measured { try core.run(names: Self.names(prefix: "r\(index)a", count: names), inFlight: inFlight) }
                coreResults.append(result)
                if perRun { printRun(index, result) }
            }
            if runAres {
                let result = try measured { try ares.run(names: Self.names(prefix: "r\(index)b", count: names), inFlight: inFlight) }
                aresResults.append(result)
                if perRun { printRun(index, result) }
            }
        }
        if perRun { print("") }
        printSummary(core: coreResults, ares: aresResults)
    }

    /// Runs one workload and adds what unbound's CPU did meanwhile.
    private func measured(_ body: () throws -> RunResult) rethrows -> RunResult {
        let before = childCPUNanoseconds(command: "unbound")
        var result = try body()
        result.upstreamCPUNanoseconds = childCPUNanoseconds(command: "unbound") - before
        return result
    }

    /// Raises unbound's limits over the fixture's defaults, so that it is not what limits
    /// 1,000 getaddrinfo lookups (2,000 queries) in flight.
    static let unboundCapacity = """
          num-queries-per-thread: 4096
          outgoing-range: 8192
          so-rcvbuf: 8m
          so-sndbuf: 8m
        """

    /// `r<run>-<i>.wild.example.test`: distinct per run, so no answer comes from a cache.
    static func names(prefix: String, count: Int) -> [String] {
        (0..<count).map { "\(prefix)-\($0).wild.example.test" }
    }

    private func printRun(_ index: Int, _ result: RunResult) {
        print("run \(index) \(pad(result.workload, 12)) \(format(result.lookupsPerSecond, 0)) lookups/s  "
            + "p50 \(milliseconds(result.percentile(0.5))) ms  p99 \(milliseconds(result.percentile(0.99))) ms  "
            + "cpu \(format(result.cpuMicrosecondsPerLookup, 1)) µs/lookup (\(format(result.clientCores, 2)) cores, unbound \(format(result.upstreamCores, 2)))  failures \(result.failures)  "
            + "retried \(result.retried)  udp drops \(result.udpDrops)"
            + (result.firstFailure.map { "  first failure: \($0)" } ?? ""))
    }

    private func printSummary(core: [RunResult], ares: [RunResult]) {
        let header = ["workload", "lookups/s (median)", "runs (lookups/s)", "p50 ms", "p99 ms", "CPU µs/lookup", "cores used: bench / unbound", "failures", "retried", "UDP drops"]
        var rows: [[String]] = []
        for results in [core, ares] where !results.isEmpty {
            rows.append([
                results[0].workload,
                format(median(results.map(\.lookupsPerSecond)), 0),
                results.map { format($0.lookupsPerSecond, 0) }.joined(separator: " / "),
                format(median(results.map { Double($0.percentile(0.5)) / 1e6 }), 2),
                format(median(results.map { Double($0.percentile(0.99)) / 1e6 }), 2),
                format(median(results.map(\.cpuMicrosecondsPerLookup)), 1),
                "\(format(median(results.map(\.clientCores)), 2)) / \(format(median(results.map(\.upstreamCores)), 2))",
                "\(results.map(\.failures).reduce(0, +)) (wrong \(results.map(\.wrongAnswers).reduce(0, +)))",
                "\(results.map(\.retried).reduce(0, +))",
                "\(results.map(\.udpDrops).reduce(0, +))",
            ])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { pad($1, widths[$0]) }.joined(separator: " | ") + " |"
        }
        print(line(header))
        print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|")
        for row in rows { print(line(row)) }
        if !core.isEmpty && !ares.isEmpty {
            let ratio = median(core.map(\.lookupsPerSecond)) / median(ares.map(\.lookupsPerSecond))
            print("")
            print("ratio ResolverCore / c-ares loop (medians): \(format(ratio, 2))")
        }
        for result in core + ares {
            if let failure = result.firstFailure { print("first failure (\(result.workload)): \(failure)") }
        }
    }
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func format(_ value: Double, _ decimals: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.\(decimals)f", $0) }
    return cString(buffer)
}

func milliseconds(_ nanoseconds: UInt64) -> String {
    format(Double(nanoseconds) / 1e6, 2)
}

func microseconds(_ nanoseconds: UInt64) -> String {
    format(Double(nanoseconds) / 1e3, 1)
}
