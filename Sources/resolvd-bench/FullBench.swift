import ArgumentParser
import CAres
import ResolverCore
import ResolverTesting

#if canImport(Glibc)
import Glibc
#endif

/// `resolvd-bench all` (`make bench`): every figure of docs/performance.md's table in one
/// run on one machine, against one loopback unbound, medians of `--runs` runs with the
/// workloads interleaved within each run.
struct FullBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "resolvd over its socket (cold, cached, one at a time), ResolverCore, a c-ares loop, getaddrinfo_a, dnsperf, the DNS stub beside unbound and dnsmasq, cancellation.")

    enum Part: String, CaseIterable, ExpressibleByArgument {
        case cold, cached, single, core, ares, glibc, dnsperf, stub, cancel
    }

    @Option(help: "Measured runs (medians are printed).")
    var runs = 3

    @Option(help: "Distinct names per cold run.")
    var names = 20_000

    @Option(name: .customLong("in-flight"), help: "Lookups kept outstanding (getaddrinfo_a: the batch size).")
    var inFlight = 1_000

    @Option(name: .customLong("cached-names"), help: "Names of the cached workload.")
    var cachedNames = 1_000

    @Option(name: .customLong("cached-lookups"), help: "Lookups per cached run.")
    var cachedLookups = 200_000

    @Option(name: .customLong("single-steps"), help: "One at a time: cold lookups (and as many cached lookups and upstream round trips) per run.")
    var singleSteps = 2_000

    @Option(name: .customLong("single-cached-names"), help: "One at a time: names of the cached lookups.")
    var singleCachedNames = 100

    @Option(help: "Lookups pending on the silent upstream while cancels are timed.")
    var pending = 10_000

    @Option(name: .customLong("cancel-samples"), help: "Cancels timed per run.")
    var cancelSamples = 1_000

    @Option(help: "Lookup+cancel cycles per run for the memory figure.")
    var cycles = 200_000

    @Option(help: "Names in one unmeasured warm-up run of each lookup workload first (0: none).")
    var warmup = 2_000

    @Option(name: .customLong("dnsperf-clients"), help: "dnsperf -c.")
    var dnsperfClients = 10

    @Option(name: .customLong("only"), parsing: .upToNextOption, help: "Run only these parts (\(Part.allCases.map(\.rawValue).joined(separator: ", "))).")
    var only: [Part] = []

    @Flag(name: .customLong("per-run"), help: "Also print every run's figures.")
    var perRun = false

    @Option(name: .customLong("external-socket"), help: "For profiling: the cold and cached parts use a resolvd already running on this socket (started with --dns 127.0.0.1:<--unbound-port>).")
    var externalSocket: String?

    @Option(name: .customLong("baseline-resolvd"), help: "Also run the cold and cached parts against this resolvd binary (an earlier commit's release build), interleaved with this build's within each run; prints each part's ratio.")
    var baselineResolvd: String?

    @Option(name: .customLong("unbound-port"), help: "For profiling: the loopback port of the bench's unbound (default: a free one).")
    var unboundPort: UInt16?

    func validate() throws {
        guard runs >= 1, names >= 1, inFlight >= 1, cachedNames >= 1, cachedLookups >= 1, singleSteps >= 1, singleCachedNames >= 1, pending >= 1, cancelSamples >= 1, cycles >= 1, warmup >= 0 else {
            throw ValidationError("counts must be positive")
        }
    }

    private func wants(_ part: Part) -> Bool { only.isEmpty || only.contains(part) }

    /// Programs this needs, with the Debian package that has each.
    private func checkPrograms() throws {
        var needed: [(String, String)] = [("unbound", "unbound")]
        if wants(.glibc) { needed += [("unshare", "util-linux"), ("ip", "iproute2"), ("mount", "mount")] }
        if wants(.dnsperf) || wants(.stub) { needed.append(("dnsperf", "dnsperf")) }
        if wants(.stub) { needed.append(("dnsmasq", "dnsmasq-base")) }
        let missing = needed.filter { findProgram($0.0) == nil }
        guard missing.isEmpty else {
            throw BenchError("missing: " + missing.map { "\($0.0) (Debian package \($0.1))" }.joined(separator: ", ")
                + " — apt-get install " + missing.map(\.1).joined(separator: " "))
        }
        guard access(DaemonChild.executable, X_OK) == 0 else {
            throw BenchError("\(DaemonChild.executable) not found: swift build -c release")
        }
        if wants(.glibc) && geteuid() != 0 { throw BenchError("the getaddrinfo_a part needs root (unshare --net --mount)") }
        if let baselineResolvd, access(baselineResolvd, X_OK) != 0 { throw BenchError("--baseline-resolvd: \(baselineResolvd) is not an executable") }
    }

    func run() throws {
        print("command: \(CommandLine.arguments.joined(separator: " "))")
        try checkPrograms()
        let unbound = try UnboundServer.start(zones: [.example], extraConfig: CoreBench.unboundCapacity, port: unboundPort)
        defer { unbound.stop() }
        let silent = try SilentUpstream.start()
        defer { silent.stop() }

        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: unbound.serverAddress)])
        configuration.hostsFile = nil
        let core = CoreWorkload(configuration: configuration)
        let ares = AresLoopWorkload(server: (unbound.host, unbound.port), timeoutMilliseconds: 2_000, tries: 2)
        let dnsperf = DNSPerfWorkload(server: (unbound.host, unbound.port), clients: dnsperfClients, outstanding: inFlight)
        let cancel = CancelWorkload(silent: silent, pending: pending, samples: cancelSamples, cycles: cycles)
        let stub = StubComparison(
            upstream: unbound, dnsperf: { DNSPerfWorkload(server: ($0, $1), clients: dnsperfClients, outstanding: inFlight) },
            cachedNames: CoreBench.names(prefix: "cached", count: cachedNames), cachedPasses: max(1, cachedLookups / (2 * cachedNames)), coldNames: names)

        print("upstream: unbound \(unbound.serverAddress) (1 thread, 8 MiB socket buffers), zone *.wild.example.test A + AAAA")
        print("resolvd: \(DaemonChild.executable) --dns \(unbound.serverAddress) --hosts-file none (defaults: 2 channels, cache on)")
        print("workloads: getaddrinfo family unspec socktype stream, \(inFlight) in flight; cold \(names) distinct names; "
            + "cached \(cachedNames) names repeated to \(cachedLookups); one at a time \(singleSteps) cold + cached "
            + "(\(singleCachedNames) names) + upstream round trips; \(runs) runs, interleaved")
        print("cpus online: \(sysconf(Int32(_SC_NPROCESSORS_ONLN))); c-ares \(String(cString: ares_version(nil)))")
        print("")

        let daemon = (wants(.cold) || wants(.cached) || wants(.single)) && externalSocket == nil ? try DaemonChild(upstream: unbound.serverAddress, config: "") : nil
        defer { daemon?.stop() }
        let socketWorkload = daemon.map { DaemonLookupWorkload(daemon: $0, socketPath: $0.socketPath, inFlight: inFlight) }
            ?? externalSocket.map { DaemonLookupWorkload(daemon: nil, socketPath: $0, inFlight: inFlight) }
        // The same workloads against an earlier build: the two daemons take turns going first,
        // so load that comes and goes on a shared machine falls on both alike.
        let baseline = try baselineResolvd.map { try DaemonChild(upstream: unbound.serverAddress, config: "", executable: $0) }
        defer { baseline?.stop() }
        let baselineWorkload = baseline.map { DaemonLookupWorkload(daemon: $0, socketPath: $0.socketPath, inFlight: inFlight) }
        if let baselineResolvd { print("baseline: \(baselineResolvd), the same arguments") }
        let cachedNameList = CoreBench.names(prefix: "cached", count: cachedNames)
        let single = (daemon?.socketPath ?? externalSocket).map {
            OneAtATimeWorkload(socketPath: $0, upstream: (unbound.host, unbound.port), steps: singleSteps,
                               cachedNames: CoreBench.names(prefix: "one-cached", count: singleCachedNames))
        }

        // Warm-up (unmeasured): each lookup workload once, and the cached names into resolvd's cache.
        if warmup > 0 {
            if wants(.cold), let socketWorkload { _ = try socketWorkload.run(workload: "warm-up", names: CoreBench.names(prefix: "ws", count: warmup)) }
            if wants(.cold), let baselineWorkload { _ = try baselineWorkload.run(workload: "warm-up", names: CoreBench.names(prefix: "wt", count: warmup)) }
            if wants(.core) { _ = try core.run(names: CoreBench.names(prefix: "wa", count: warmup), inFlight: inFlight) }
            if wants(.ares) { _ = try ares.run(names: CoreBench.names(prefix: "wb", count: warmup), inFlight: inFlight) }
        }
        if wants(.cached), let socketWorkload { _ = try socketWorkload.run(workload: "warm-up", names: cachedNameList) }
        if wants(.cached), let baselineWorkload { _ = try baselineWorkload.run(workload: "warm-up", names: cachedNameList) }
        if wants(.dnsperf) { _ = try dnsperf.run(names: cachedNameList, passes: 1) }

        var table = Table()
        for index in 1...runs {
            func record(_ part: String, _ body: () throws -> RunResult) rethrows {
                let before = childCPUNanoseconds(command: "unbound")
                var result = try body()
                if result.upstreamCPUNanoseconds == 0 { result.upstreamCPUNanoseconds = childCPUNanoseconds(command: "unbound") - before }
                table.results[part, default: []].append(result)
                if perRun { printRun(index, result) }
            }
            let turns = [("", socketWorkload, "s"), ("baseline ", baselineWorkload, "t")]
            let ordered = index % 2 == 1 ? turns : turns.reversed()
            for (label, workload, prefix) in ordered where wants(.cold) {
                guard let workload else { continue }
                try record(label + "cold") { try workload.run(workload: label + "resolvd socket, cold", names: CoreBench.names(prefix: "r\(index)\(prefix)", count: names)) }
            }
            for (label, workload, _) in ordered where wants(.cached) {
                guard let workload else { continue }
                try record(label + "cached") { try workload.run(workload: label + "resolvd socket, cached", names: cachedNameList, repeatTo: cachedLookups) }
            }
            if wants(.single), let single {
                let result = try single.run(run: index)
                table.single.append(result)
                if perRun {
                    print("run \(index) one at a time: cold p50 \(microseconds(percentile(result.cold, 0.5))) µs, cached p50 \(microseconds(percentile(result.cached, 0.5))) µs, "
                        + "upstream p50 \(microseconds(percentile(result.upstream, 0.5))) µs, failures \(result.failures)")
                }
            }
            if wants(.core) { try record("core") { try core.run(names: CoreBench.names(prefix: "r\(index)a", count: names), inFlight: inFlight) } }
            if wants(.ares) { try record("ares") { try ares.run(names: CoreBench.names(prefix: "r\(index)b", count: names), inFlight: inFlight) } }
            if wants(.glibc) {
                try record("glibc") { try runGlibcInNamespace(prefix: "r\(index)g", count: names, batch: inFlight, warmup: index == 1 ? warmup : 0) }
            }
            if wants(.dnsperf) {
                let cold = try dnsperf.run(names: CoreBench.names(prefix: "r\(index)d", count: names), passes: 1)
                let cached = try dnsperf.run(names: cachedNameList, passes: max(1, cachedLookups / (2 * cachedNames)))
                table.dnsperfCold.append(cold)
                table.dnsperfCached.append(cached)
                if perRun { print("run \(index) dnsperf cold \(format(cold.queriesPerSecond, 0)) q/s (lost \(cold.lost)), cached \(format(cached.queriesPerSecond, 0)) q/s (lost \(cached.lost))") }
            }
            if wants(.stub) {
                let result = try stub.run(run: index)
                table.stub.append(result)
                if perRun {
                    print("run \(index) dnsperf q/s (cold / cached): " + StubComparison.servers.map {
                        "\($0) \(format(result.cold[$0]?.queriesPerSecond ?? 0, 0)) / \(format(result.cached[$0]?.queriesPerSecond ?? 0, 0))"
                    }.joined(separator: ", "))
                }
            }
            if wants(.cancel) {
                let result = try cancel.run(run: index)
                table.cancels.append(result)
                if perRun {
                    print("run \(index) cancel p50 \(milliseconds(percentile(result.toReply, 0.5))) p99 \(milliseconds(percentile(result.toReply, 0.99))) ms; "
                        + "RSS idle \(result.idleRSS >> 10) KiB, \(pending) pending \(result.pendingRSS >> 10) KiB; cycles before \(result.cyclesBeforeRSS >> 10) KiB after \(result.cyclesAfterRSS >> 10) KiB")
                }
            }
        }
        if perRun { print("") }
        table.print(names: names, cachedLookups: cachedLookups, pending: pending, cycles: cycles, inFlight: inFlight, clients: dnsperfClients)
    }

    private func printRun(_ index: Int, _ result: RunResult) {
        print("run \(index) \(pad(result.workload, 24)) \(format(result.lookupsPerSecond, 0)) lookups/s  "
            + "p50 \(milliseconds(result.percentile(0.5))) ms  p99 \(milliseconds(result.percentile(0.99))) ms  "
            + "failures \(result.failures) (wrong \(result.wrongAnswers))"
            + (result.daemonCPUNanoseconds > 0 ? "  resolvd cpu \(format(Double(result.daemonCPUNanoseconds) / 1e3 / Double(result.names), 1)) µs/lookup" : "")
            + "  unbound \(format(result.upstreamCores, 2)) cores"
            + (result.firstFailure.map { "  first failure: \($0)" } ?? ""))
    }
}

func percentile(_ values: [UInt64], _ fraction: Double) -> UInt64 {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// The collected runs, and the one table.
private struct Table {
    var results: [String: [RunResult]] = [:]
    var dnsperfCold: [DNSPerfWorkload.Result] = []
    var dnsperfCached: [DNSPerfWorkload.Result] = []
    var stub: [StubComparison.Result] = []
    var cancels: [CancelWorkload.Result] = []
    var single: [OneAtATimeWorkload.Result] = []

    /// Median daemon CPU per lookup of `part`, in µs.
    func daemonCPU(_ part: String) -> Double? {
        guard let runs = results[part], !runs.isEmpty, runs[0].daemonCPUNanoseconds > 0 else { return nil }
        return median(runs.map { Double($0.daemonCPUNanoseconds) / 1e3 / Double($0.names) })
    }

    /// Printed as a/b like the rates' ratios: above 1 means this build spends less CPU.
    func cpuRatio(_ label: String, _ a: String, _ b: String) {
        guard let a = daemonCPU(a), let b = daemonCPU(b), b > 0 else { return }
        Swift.print("ratio \(label): \(format(a / b, 3))")
    }

    func rate(_ part: String) -> Double? {
        guard let runs = results[part], !runs.isEmpty else { return nil }
        return median(runs.map(\.lookupsPerSecond))
    }

    func print(names: Int, cachedLookups: Int, pending: Int, cycles: Int, inFlight: Int, clients: Int) {
        let header = ["#", "what", "median", "unit", "runs", "p50 ms", "p99 ms", "failures (wrong)", "CPU µs/lookup: resolvd / bench", "unbound cores"]
        var rows: [[String]] = []
        let labels: [(String, String, String)] = [
            ("1", "cold", "resolvd over its socket, cold"),
            ("2", "cached", "resolvd over its socket, cached"),
            ("1b", "baseline cold", "baseline resolvd, cold"),
            ("2b", "baseline cached", "baseline resolvd, cached"),
            ("3", "core", "ResolverCore in-process, cold"),
            ("4", "ares", "single-channel c-ares loop, cold"),
            ("5", "glibc", "glibc getaddrinfo_a (batches), cold"),
        ]
        for (number, part, label) in labels {
            guard let runs = results[part], !runs.isEmpty else { continue }
            let daemonCPU = runs[0].daemonCPUNanoseconds > 0
                ? format(median(runs.map { Double($0.daemonCPUNanoseconds) / 1e3 / Double($0.names) }), 1) : "—"
            rows.append([
                number, label, format(median(runs.map(\.lookupsPerSecond)), 0), "lookups/s",
                runs.map { format($0.lookupsPerSecond, 0) }.joined(separator: " / "),
                format(median(runs.map { Double($0.percentile(0.5)) / 1e6 }), 2),
                format(median(runs.map { Double($0.percentile(0.99)) / 1e6 }), 2),
                "\(runs.map(\.failures).reduce(0, +)) (\(runs.map(\.wrongAnswers).reduce(0, +)))",
                "\(daemonCPU) / \(format(median(runs.map(\.cpuMicrosecondsPerLookup)), 1))",
                format(median(runs.map(\.upstreamCores)), 2),
            ])
        }
        if !dnsperfCold.isEmpty {
            for (number, label, runs) in [("6a", "dnsperf → unbound, cold names (A+AAAA)", dnsperfCold),
                                          ("6b", "dnsperf → unbound, cached names repeated", dnsperfCached)] {
                rows.append([number, label, format(median(runs.map(\.queriesPerSecond)), 0), "queries/s",
                             runs.map { format($0.queriesPerSecond, 0) }.joined(separator: " / "), "—", "—",
                             "lost \(runs.map(\.lost).reduce(0, +))", "—", "—"])
            }
        }
        rows += stubRows()
        if !cancels.isEmpty {
            let toReply = cancels.map { ($0.toReply) }
            let toCancelled = cancels.map { ($0.toCancelled) }
            func medianMS(_ samples: [[UInt64]], _ fraction: Double) -> String {
                format(median(samples.map { Double(percentile($0, fraction)) / 1e6 }), 3)
            }
            rows.append(["7a", "cancel → its reply, \(pending) pending", "—", "", "", medianMS(toReply, 0.5), medianMS(toReply, 0.99), "0", "—", "—"])
            rows.append(["7b", "cancel → the lookup's 10111", "—", "", "", medianMS(toCancelled, 0.5), medianMS(toCancelled, 0.99), "0", "—", "—"])
            rows.append(["7c", "control: hello round trip, same connection", "—", "", "", medianMS(cancels.map(\.helloRoundTrip), 0.5),
                         medianMS(cancels.map(\.helloRoundTrip), 0.99), "0", "—", "—"])
            rows.append(["7d", "RSS per pending lookup", format(median(cancels.map(\.bytesPerPending)), 0), "bytes",
                         cancels.map { format($0.bytesPerPending, 0) }.joined(separator: " / "), "—", "—", "—", "—", "—"])
            rows.append(["7e", "RSS after \(cycles) lookup+cancel cycles vs before", format(median(cancels.map { $0.cyclesGrowth * 100 }), 1), "% growth",
                         cancels.map { "\($0.cyclesBeforeRSS >> 10)→\($0.cyclesAfterRSS >> 10) KiB" }.joined(separator: " / "), "—", "—",
                         "\(cancels.map(\.cycleFailures).reduce(0, +))", "—", "—"])
            rows.append(["7f", "lookup+cancel cycles (1,000 outstanding)", format(median(cancels.map(\.cyclesPerSecond)), 0), "cycles/s",
                         cancels.map { format($0.cyclesPerSecond, 0) }.joined(separator: " / "), "—", "—", "—", "—", "—"])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max()! }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { pad($1, widths[$0]) }.joined(separator: " | ") + " |"
        }
        if !rows.isEmpty {
            Swift.print(line(header))
            Swift.print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|")
            for row in rows { Swift.print(line(row)) }
        }

        printSingle()
        Swift.print("")
        let cold = rate("cold"), cached = rate("cached")
        let dnsCached = dnsperfCached.isEmpty ? nil : median(dnsperfCached.map(\.queriesPerSecond))
        func ratio(_ label: String, _ a: Double?, _ b: Double?, target: Double?) {
            guard let a, let b, b > 0 else { return }
            let value = a / b
            let verdict = target.map { value >= $0 ? "  (target ≥ \(format($0, 1)): met)" : "  (target ≥ \(format($0, 1)): MISSED)" } ?? ""
            Swift.print("ratio \(label): \(format(value, 2))\(verdict)")
        }
        ratio("1/1b resolvd cold / baseline", cold, rate("baseline cold"), target: nil)
        ratio("2/2b resolvd cached / baseline", cached, rate("baseline cached"), target: nil)
        cpuRatio("1b/1 baseline's daemon CPU per cold lookup / this build's", "baseline cold", "cold")
        cpuRatio("2b/2 baseline's daemon CPU per cached lookup / this build's", "baseline cached", "cached")
        ratio("1/3 resolvd cold / ResolverCore", cold, rate("core"), target: 0.9)
        ratio("1/4 resolvd cold / c-ares loop", cold, rate("ares"), target: 1.0)
        ratio("1/5 resolvd cold / getaddrinfo_a", cold, rate("glibc"), target: nil)
        ratio("2/6b resolvd cached lookups/s / dnsperf cached queries/s", cached, dnsCached, target: 1.0)
        ratio("6c/6e resolvd stub cold / unbound forwarder cold", stubRate(\.cold, "resolvd"), stubRate(\.cold, "unbound"), target: nil)
        ratio("6d/6f resolvd stub cached / unbound forwarder cached", stubRate(\.cached, "resolvd"), stubRate(\.cached, "unbound"), target: 1.0)
        ratio("6d/6h resolvd stub cached / dnsmasq cached", stubRate(\.cached, "resolvd"), stubRate(\.cached, "dnsmasq"), target: nil)
        if let runs = results["cold"] {
            let failed = runs.map { $0.failures + $0.wrongAnswers }.reduce(0, +)
            Swift.print("failed cold lookups through the socket: \(failed)  (target 0: \(failed == 0 ? "met" : "MISSED"))")
        }
        if !cancels.isEmpty {
            let p99 = median(cancels.map { Double(percentile($0.toReply, 0.99)) / 1e6 })
            let perPending = median(cancels.map(\.bytesPerPending))
            let growth = median(cancels.map(\.cyclesGrowth))
            Swift.print("cancel p99 \(format(p99, 3)) ms  (target < 1 ms: \(p99 < 1 ? "met" : "MISSED"))")
            Swift.print("RSS per pending lookup \(format(perPending, 0)) bytes  (target ≤ 2048: \(perPending <= 2048 ? "met" : "MISSED"))")
            Swift.print("RSS growth over \(cycles) cycles \(format(growth * 100, 1)) %  (target ≤ 10 %: \(growth <= 0.10 ? "met" : "MISSED"))")
        }
        for (part, runs) in results.sorted(by: { $0.key < $1.key }) {
            for result in runs { if let failure = result.firstFailure { Swift.print("first failure (\(part)): \(failure)") } }
        }
        for result in cancels { if let failure = result.firstFailure { Swift.print("first failure (cancel cycles): \(failure)") } }
        for result in single { if let failure = result.firstFailure { Swift.print("first failure (one at a time): \(failure)") } }
        guard !dnsperfCold.isEmpty else { return }
        Swift.print("")
        Swift.print("dnsperf: \(DNSPerfWorkload.commandLine) with -c \(clients) -q \(inFlight); cold: \(names) names × (A, AAAA), -n 1; "
            + "cached: the cached names × (A, AAAA), -n \(max(1, cachedLookups / (2 * 1_000)))")
    }
}

extension Table {
    /// The median queries/s of `server` in the stub part's `phase` (cold or cached), if it ran.
    fileprivate func stubRate(_ phase: KeyPath<StubComparison.Result, [String: DNSPerfWorkload.Result]>, _ server: String) -> Double? {
        let runs = stub.compactMap { $0[keyPath: phase][server] }
        return runs.isEmpty ? nil : median(runs.map(\.queriesPerSecond))
    }

    /// Rows 6c–6h: dnsperf against resolvd's stub, unbound and dnsmasq forwarding to the bench unbound.
    fileprivate func stubRows() -> [[String]] {
        guard !stub.isEmpty else { return [] }
        let labels = [("resolvd", "resolvd's DNS stub", "6c", "6d"), ("unbound", "unbound forwarder", "6e", "6f"), ("dnsmasq", "dnsmasq forwarder", "6g", "6h")]
        var rows: [[String]] = []
        for (server, label, coldNumber, cachedNumber) in labels {
            for (number, phase, what) in [(coldNumber, \StubComparison.Result.cold, "cold names"), (cachedNumber, \StubComparison.Result.cached, "cached names repeated")] {
                let runs = stub.compactMap { $0[keyPath: phase][server] }
                rows.append([number, "dnsperf → \(label), \(what)", format(median(runs.map(\.queriesPerSecond)), 0), "queries/s",
                             runs.map { format($0.queriesPerSecond, 0) }.joined(separator: " / "), "—", "—",
                             "lost \(runs.map(\.lost).reduce(0, +))", "—", "—"])
            }
        }
        return rows
    }

    /// The one-at-a-time rows (8a–8c) in µs, and what resolvd adds to a cold lookup.
    fileprivate func printSingle() {
        guard !single.isEmpty else { return }
        func medianMicroseconds(_ samples: (OneAtATimeWorkload.Result) -> [UInt64], _ fraction: Double) -> Double {
            median(single.map { Double(percentile(samples($0), fraction)) / 1e3 })
        }
        let rows: [(String, String, (OneAtATimeWorkload.Result) -> [UInt64])] = [
            ("8a", "one at a time, v1 kept connection: cold", \.cold),
            ("8b", "one at a time, v1 kept connection: cached", \.cached),
            ("8c", "the upstream's own UDP round trip (A + AAAA together)", \.upstream),
        ]
        Swift.print("")
        Swift.print("| #  | what (median of \(single.count) runs, \(single[0].cold.count + single[0].failures) steps each) | p50 µs | p90 µs | runs' p50 µs |")
        Swift.print("|----|---|---|---|---|")
        for (number, label, samples) in rows {
            Swift.print("| \(number) | \(label) | \(format(medianMicroseconds(samples, 0.5), 1)) | \(format(medianMicroseconds(samples, 0.9), 1)) | "
                + single.map { format(Double(percentile(samples($0), 0.5)) / 1e3, 1) }.joined(separator: " / ") + " |")
        }
        let cold = medianMicroseconds(\.cold, 0.5), cached = medianMicroseconds(\.cached, 0.5), upstream = medianMicroseconds(\.upstream, 0.5)
        let failures = single.map(\.failures).reduce(0, +)
        Swift.print("what resolvd adds to a cold lookup (p50): 8a − 8c = \(format(cold - upstream, 1)) µs; "
            + "8a − 8b − 8c = \(format(cold - cached - upstream, 1)) µs (issue 25's target ≤ 50: \(cold - cached - upstream <= 50 ? "met" : "MISSED")); "
            + "failures \(failures)")
    }
}

/// The hidden half of the getaddrinfo_a part: what runs inside `unshare --net --mount --fork`.
struct GlibcNamespaceChild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glibc-netns", abstract: "(internal) getaddrinfo_a inside a private network namespace.",
        shouldDisplay: false)

    @Option var prefix: String
    @Option var names: Int
    @Option var batch: Int
    @Option var warmup = 0

    func run() throws {
        try glibcNamespaceChild(prefix: prefix, count: names, batch: batch, warmup: warmup)
    }
}
