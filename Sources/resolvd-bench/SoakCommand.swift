import ArgumentParser
import ResolverTesting
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `make soak` (docs/reliability.md, "Soak"): the real daemon under a long mixed load, while
/// its upstream misbehaves, judged by one rule — every request gets exactly one reply.
///
/// It does: `--lookups` `getaddrinfo` requests over `--connections` connections (a thread
/// each, `--window` requests per pipelined batch), with random `cancel`s of the batch's own
/// lookups, `cancel_all`s and abrupt closes (the connection is closed with replies
/// outstanding and opened again); a SIGHUP reload every `--reload-ms`; an upstream that
/// drops `--drop-percent` of datagrams (a seeded ``DelayingProxy`` in front of unbound) and
/// whose unbound is killed and restarted on its port once, half-way. It checks that each
/// request of a batch read to its end got exactly one reply (none lost within
/// `--reply-timeout-ms`, none twice, none unknown) and that `stats.in_flight` is back to 0;
/// it prints the daemon's RSS before and after, lookups/s and the replies by status.
/// It does not: judge statuses (under loss a lookup may fail; a cancelled one is 10111 or
/// 995), or check requests on a connection it closed abruptly (their replies go nowhere).
struct SoakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Exactly one reply per request under cancels, closes, reloads, loss and an upstream restart.")

    @Option(help: "getaddrinfo requests in all.")
    var lookups = 1_000_000

    @Option(help: "Client connections, one thread each.")
    var connections = 100

    @Option(help: "Lookups per pipelined batch on a connection.")
    var window = 8

    @Option(help: "Distinct names asked (wildcard names: cache hits and misses).")
    var names = 50_000

    @Option(name: .customLong("drop-percent"), help: "Share of datagrams the upstream proxy drops (a multiple of 5).")
    var dropPercent = 10

    @Option(name: .customLong("reload-ms"), help: "Milliseconds between SIGHUP reloads.")
    var reloadMilliseconds = 2_000

    @Option(name: .customLong("reply-timeout-ms"), help: "How long a batch may wait for a reply before it counts as lost.")
    var replyTimeoutMilliseconds: Int32 = 30_000

    @Option(help: "Seed of the loss pattern and of each connection's choices.")
    var seed: UInt64 = 12

    func validate() throws {
        guard lookups >= 1, connections >= 1, window >= 1, names >= 1, reloadMilliseconds >= 1, replyTimeoutMilliseconds >= 1 else {
            throw ValidationError("--lookups, --connections, --window, --names, --reload-ms and --reply-timeout-ms must be positive")
        }
    }

    func run() throws {
        print("command: \(CommandLine.arguments.joined(separator: " "))")
        var unbound = try UnboundServer.start(zones: [.example], extraConfig: CoreBench.unboundCapacity)
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero, dropPercent: dropPercent, seed: seed)
        defer { proxy.stop() }
        let daemon = try DaemonChild(upstream: proxy.serverAddress, config: "timeout_ms = 200\ntries = 2\n")
        defer { daemon.stop() }
        let rssBefore = daemon.residentBytes()

        let shared = SoakShared(lookups: lookups)
        let started = monotonicNanoseconds()
        let workers = try (0..<connections).map { index in
            let worker = SoakConnection(path: daemon.socketPath, shared: shared, window: window, names: names,
                                        replyTimeoutMilliseconds: replyTimeoutMilliseconds, seed: seed &+ UInt64(index) &* 0x9e37)
            return try JoinableThread { worker.run() }
        }

        // The conductor: reloads on schedule, and the upstream restart half-way.
        var reloads = 0
        var restarted = false
        var lastReload = monotonicNanoseconds()
        while !shared.finished {
            usleep(20_000)
            let now = monotonicNanoseconds()
            if now - lastReload >= UInt64(reloadMilliseconds) * 1_000_000 {
                kill(daemon.pid, SIGHUP)
                reloads += 1
                lastReload = now
            }
            if !restarted, shared.issued >= lookups / 2 {
                let port = unbound.port
                unbound.stop()
                unbound = try UnboundServer.start(zones: [.example], extraConfig: CoreBench.unboundCapacity, port: port)
                restarted = true
                print("upstream restarted after \(shared.issued) lookups")
            }
        }
        workers.forEach { $0.join() }
        let wall = monotonicNanoseconds() - started
        defer { unbound.stop() }

        let client = try PipelinedClient(path: daemon.socketPath)
        var inFlight = try client.stat("in_flight")
        let deadline = monotonicNanoseconds() + 10_000_000_000
        while inFlight != 0, monotonicNanoseconds() < deadline {
            usleep(50_000)
            inFlight = try client.stat("in_flight")
        }
        let rssAfter = daemon.residentBytes()
        let totals = shared.totals
        let seconds = Double(wall) / 1e9
        print("lookups: \(totals.lookups) in \(Double(Int(seconds * 10)) / 10) s = \(Int(Double(totals.lookups) / seconds)) lookups/s")
        print("requests: \(totals.requests) (cancels \(totals.cancels), cancel_all \(totals.cancelAlls)), replies checked: \(totals.replies)")
        print("abrupt closes: \(totals.abruptCloses) (\(totals.abandoned) requests not read), reloads: \(reloads), upstream restart: \(restarted ? 1 : 0)")
        print("proxy: \(proxy.datagrams.dropped) of \(proxy.datagrams.seen) datagrams dropped")
        print("replies by status: " + totals.statuses.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
        print("RSS before: \(rssBefore / 1024) KiB, after: \(rssAfter / 1024) KiB")
        print("lost: \(totals.lost), duplicated: \(totals.duplicated), unknown: \(totals.unknown), stats.in_flight: \(inFlight)")
        guard totals.lost == 0, totals.duplicated == 0, totals.unknown == 0, inFlight == 0 else {
            throw BenchError("soak FAILED: \(totals.firstViolation ?? "stats.in_flight \(inFlight)")")
        }
        print("soak: OK")
    }
}
