import ArgumentParser
import ResolvdServer
import ResolverTesting

#if canImport(Glibc)
import Glibc
#endif

/// `resolvd-bench routes` (part of `make bench`): what split DNS costs with many routes
/// (docs/routing.md, "Cost"). In process: building a ``RouteTable`` of `--routes` domains,
/// and one match against tables of 2 and of `--routes` domains (names that match and
/// names that do not, interleaved runs). Through the daemon: start-up with `--routes`
/// `route =` lines against none, and cached lookups/s with and without them.
struct RouteBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "RouteTable build and match cost, resolvd start-up and cached lookups with many routes.")

    @Option(help: "Routes of the large table and of the daemon's configuration.")
    var routes = 70_000

    @Option(help: "Measured runs (medians are printed).")
    var runs = 3

    @Option(help: "Matches per run and table.")
    var matches = 1_000_000

    @Option(name: .customLong("cached-lookups"), help: "Cached lookups per daemon run.")
    var cachedLookups = 200_000

    @Flag(name: .customLong("in-process-only"), help: "Only the RouteTable figures (no unbound, no daemon).")
    var inProcessOnly = false

    /// `r<i>.wild.example.test`: siblings of the names the cached workload asks, so a
    /// match walks three labels deep into a node with `routes` children.
    static func domain(_ index: Int) -> String { "r\(index).wild.example.test" }

    func run() throws {
        print("command: \(CommandLine.arguments.joined(separator: " "))")
        var buildTimes: [Double] = []
        var large = RouteTable()
        for _ in 0..<runs {
            let start = monotonicNanoseconds()
            var table = RouteTable()
            table.insert(".", 0)
            for index in 0..<routes { table.insert(Self.domain(index), Int32(index % 64 + 1)) }
            buildTimes.append(Double(monotonicNanoseconds() - start) / 1e6)
            large = table
        }
        var small = RouteTable()
        small.insert(".", 0)
        small.insert(Self.domain(1), 1)
        // Half the names under a route (r<i>.…), half beside them (cached…): both walks.
        let names = (0..<4_096).map { $0 % 2 == 0 ? "host.\(Self.domain($0 * 17 % routes))" : "cached-\($0).wild.example.test" }
        var smallTimes: [Double] = []
        var largeTimes: [Double] = []
        var checksum = 0
        for _ in 0..<runs {
            for (table, times) in [(small, 0), (large, 1)] {
                let start = monotonicNanoseconds()
                for index in 0..<matches { checksum &+= Int(table.match(names[index & 4_095])?.value ?? 0) }
                let perMatch = Double(monotonicNanoseconds() - start) / Double(matches)
                if times == 0 { smallTimes.append(perMatch) } else { largeTimes.append(perMatch) }
            }
        }
        print("RouteTable: \(routes) routes built in \(format(median(buildTimes), 1)) ms (median of \(runs))")
        print("RouteTable match: 2 routes \(format(median(smallTimes), 1)) ns, \(routes) routes \(format(median(largeTimes), 1)) ns per name (median of \(runs) × \(matches); checksum \(checksum))")
        guard !inProcessOnly else { return }

        let unbound = try UnboundServer.start(zones: [.example], extraConfig: CoreBench.unboundCapacity)
        defer { unbound.stop() }
        let config = (0..<routes).map { "route = \(Self.domain($0)) \(unbound.serverAddress)\n" }.joined()
        let cachedNames = CoreBench.names(prefix: "cached", count: 1_000)
        var startTimes: [String: [Double]] = [:]
        var rates: [String: [Double]] = [:]
        for _ in 0..<runs {
            for (label, text) in [("no routes", ""), ("\(routes) routes", config)] {
                let start = monotonicNanoseconds()
                let daemon = try DaemonChild(upstream: unbound.serverAddress, config: text)
                defer { daemon.stop() }
                startTimes[label, default: []].append(Double(monotonicNanoseconds() - start) / 1e6)
                let workload = DaemonLookupWorkload(daemon: daemon, socketPath: daemon.socketPath, inFlight: 1_000)
                _ = try workload.run(workload: "warm-up", names: cachedNames)
                let result = try workload.run(workload: label, names: cachedNames, repeatTo: cachedLookups)
                rates[label, default: []].append(result.lookupsPerSecond)
                print("run: resolvd \(label) answering after \(format(startTimes[label]!.last!, 0)) ms, cached \(format(result.lookupsPerSecond, 0)) lookups/s")
            }
        }
        for label in ["no routes", "\(routes) routes"] {
            print("resolvd \(label): answering \(format(median(startTimes[label] ?? []), 0)) ms after start, cached \(format(median(rates[label] ?? []), 0)) lookups/s (median of \(runs))")
        }
    }
}
