import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The upstream share under attack (docs/reliability.md, "Bounds against local clients"),
/// end to end: a real daemon whose threads have 256 KiB stacks (so that any recursion left
/// through the share's queue shows as a crash), loopback upstreams, and the attacker as
/// uid 65534 through setpriv (util-linux), pipelining with ``AttackClient``.
@Suite(.serialized) struct DaemonShareAttackTests {
    static let smallStack = 256 << 10

    struct Attack {
        let process: SpawnedProcess
        let output: String

        /// Waits for the client's exit; its JSON line.
        func result(timeout: Duration = .seconds(120)) throws -> JSONObject {
            let status = process.waitForExit(timeout: timeout)
            #expect(status == 0, "the attack client exited \(String(describing: status))")
            let text = try readWholeFile(output)
            let line = try #require(text.split(separator: "\n").last, "no output: \(text)")
            return try #require(Self.object(String(line)), "not JSON: \(line)")
        }

        /// Waits until it printed `sent`.
        func waitUntilSent(timeout: Duration = .seconds(60)) -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if (try? readWholeFile(output))?.hasPrefix("sent") == true { return true }
                usleep(20_000)
            }
            return false
        }

        static func object(_ line: String) -> JSONObject? {
            Array(line.utf8).withUnsafeBytes { raw in
                guard case .object(let object)? = try? JSONParser.parse(raw) else { return nil }
                return object
            }
        }
    }

    /// Starts ``AttackClient`` against `daemon` as uid 65534 (or as root).
    static func attack(_ daemon: DaemonProcess, _ arguments: [String], asRoot: Bool = false, tag: String = "attack") throws -> Attack {
        let python = try SystemdTestSupport.require("python3", package: "python3")
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        chmod(daemon.directory, 0o755)  // let uid 65534 reach the socket (mode 0666)
        let drop = asRoot ? [] : [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        let output = daemon.directory + "/\(tag).out"
        let process = try SpawnedProcess(
            arguments: drop + [python, "-c", AttackClient.script, daemon.socketPath] + arguments,
            stdout: output, stderr: daemon.directory + "/\(tag).err")
        return Attack(process: process, output: output)
    }

    static func counts(_ object: JSONObject?) -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for (key, value) in object ?? [:] { counts[key] = value.intValue }
        return counts
    }

    /// 20,000 getaddrinfo + cancel pairs for names the upstream answers after a second (once
    /// a crash 2 s later: the share drained its abandoned lookups recursively), then 200,000
    /// more for names it never answers (once +174 % RSS: each left its lookup in the queue):
    /// every lookup answered exactly once, the daemon alive, its memory flat. (The second
    /// batch's names are never answered so that no answer fills the cache, whose own bound
    /// is another matter.) A tenth of each under ThreadSanitizer.
    @Test func lookupCancelPairsOnASlowUpstreamNeitherCrashNorGrow() throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        let proxy = try DelayingProxy.start(upstreamPort: upstream.port, delay: .seconds(1))
        defer { proxy.stop() }
        let daemon = try DaemonProcess.start(upstream: proxy.serverAddress, threadStackBytes: Self.smallStack)
        defer { daemon.stop() }

        let count = Sanitizers.scaled(20_000)
        let first = try Self.attack(daemon, ["pairs", String(count), "slow"], tag: "first").result()
        let lookups = Self.counts(first["lookups"]?.objectValue)
        #expect(lookups.values.reduce(0, +) == Int64(count) && Set(lookups.keys).isSubset(of: ["10111", "0"]), "\(first)")
        let cancels = Self.counts(first["cancels"]?.objectValue)
        #expect(cancels.values.reduce(0, +) == Int64(count) && Set(cancels.keys).isSubset(of: ["0", "6"]), "\(first)")
        let root = try daemon.connect()
        #expect(root.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0, "the daemon is alive: \(daemon.log)")
        let before = try #require(DaemonBoundsTests.residentBytes(of: daemon.pid))

        let more = Sanitizers.scaled(200_000)
        let second = try Self.attack(daemon, ["pairs", String(more), "silent"], tag: "second").result(timeout: .seconds(300))
        #expect(Self.counts(second["lookups"]?.objectValue).values.reduce(0, +) == Int64(more), "\(second)")
        let after = try #require(DaemonBoundsTests.residentBytes(of: daemon.pid))
        #expect(after <= before + before / 10, "RSS \(before >> 10) KiB → \(after >> 10) KiB after \(more) more pairs")
        var nextID: Int64 = 2
        let settled = root.waitForStat("in_flight", toBe: 0, nextID: &nextID, timeout: .seconds(30))
        #expect(settled?["in_flight"]?.intValue == 0, "\(String(describing: settled))")
    }

    /// SIGTERM with 20,020 lookups of root in flight on 20 connections, most of them waiting
    /// in root's share queue: every one answered 995, then exit 0.
    @Test func sigtermAnswersEveryLookupInFlight() throws {
        let upstream = try SilentUpstream.start()
        defer { upstream.stop() }
        let daemon = try DaemonProcess.start(upstream: upstream.serverAddress, timeoutMilliseconds: 60_000, tries: 1, threadStackBytes: Self.smallStack)
        defer { daemon.stop() }
        let clients = try (0..<20).map { try Self.attack(daemon, ["pending", "1001", "held\($0)-"], asRoot: true, tag: "held\($0)") }
        for client in clients { #expect(client.waitUntilSent()) }
        let root = try daemon.connect()
        var nextID: Int64 = 1
        let held = root.waitForStat("in_flight", toBe: 20_020, nextID: &nextID, timeout: .seconds(60))
        #expect(held?["in_flight"]?.intValue == 20_020, "\(String(describing: held))")
        daemon.signal(SIGTERM)
        for client in clients {
            let result = try client.result()
            #expect(Self.counts(result["lookups"]?.objectValue) == ["995": 1001], "\(result)")
        }
        #expect(daemon.waitForExit(timeout: .seconds(30)) == 0, "\(daemon.log)")
    }

    /// Ten Varlink connections with 4,000 calls each pending, then all hang up at once.
    @Test func varlinkHangUpWithFortyThousandCallsPending() throws {
        let python = try SystemdTestSupport.require("python3", package: "python3")
        let upstream = try SilentUpstream.start()
        defer { upstream.stop() }
        let daemon = try DaemonProcess.start(upstream: upstream.serverAddress, timeoutMilliseconds: 60_000, tries: 1, threadStackBytes: Self.smallStack)
        defer { daemon.stop() }
        let script = """
            import os, socket, sys, time
            conns = []
            for c in range(10):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(sys.argv[1])
                s.sendall(b''.join(b'{"method":"io.systemd.Resolve.ResolveHostname","parameters":{"name":"held%d-%d.test"}}\\0' % (c, i) for i in range(4000)))
                conns.append(s)
            print('sent', flush=True)
            while not os.path.exists(sys.argv[2]):
                time.sleep(0.01)
            for s in conns: s.close()
            """
        let hangUp = daemon.directory + "/hang-up"
        let process = try SpawnedProcess(
            arguments: [python, "-c", script, daemon.varlinkSocketPath, hangUp],
            stdout: daemon.directory + "/varlink.out", stderr: daemon.directory + "/varlink.err")
        let root = try daemon.connect()
        var nextID: Int64 = 1
        let held = root.waitForStat("in_flight", toBe: 40_000, nextID: &nextID, timeout: .seconds(60))
        #expect(held?["in_flight"]?.intValue == 40_000, "\(String(describing: held))")
        try writeFile(hangUp, "")
        #expect(process.waitForExit(timeout: .seconds(30)) == 0)
        let settled = root.waitForStat("in_flight", toBe: 0, nextID: &nextID, timeout: .seconds(30))
        #expect(settled?["in_flight"]?.intValue == 0, "\(String(describing: settled)) \(daemon.log)")
        #expect(root.call(#"{"id":\#(nextID),"op":"hello"}"#, id: nextID)?.status == 0, "the daemon is alive")
    }

    /// One program of uid 65534 with 2,000 lookups pending on names the upstream never
    /// answers; another program of the same uid is answered as if it were alone: its IP
    /// literal, hosts-file name and cached name within 50 ms, its uncached name within the
    /// upstream's time plus 100 ms — and so again once the first program has gone.
    @Test func aUsersBacklogDoesNotFreezeItsOtherPrograms() throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        var template = Array("/tmp/resolvd-hosts-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        close(fd)
        let hosts = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(hosts) }
        try writeFile(hosts, "192.0.2.77 hosted.test\n")
        chmod(hosts, 0o644)
        let daemon = try DaemonProcess.start(
            upstream: upstream.serverAddress, timeoutMilliseconds: 60_000, tries: 1, extraArguments: ["--hosts-file", hosts],
            threadStackBytes: Self.smallStack)
        defer { daemon.stop() }

        func probe(_ names: String, _ tag: String) throws -> (ms: [Double], status: [Int64]) {
            let result = try Self.attack(daemon, ["probe", "0", names], tag: tag).result()
            let ms = result["ms"]?.arrayValue?.compactMap { $0.doubleValue } ?? []
            let status = result["status"]?.arrayValue?.compactMap { $0.intValue } ?? []
            return (ms, status)
        }
        let alone = try probe("192.0.2.9,hosted.test,cached.test,live1.test", "alone")
        #expect(alone.status == [0, 0, 0, 0], "\(alone)")

        let attacker = try Self.attack(daemon, ["pending", "2000", "silent"], tag: "backlog")
        #expect(attacker.waitUntilSent())
        let root = try daemon.connect()
        var nextID: Int64 = 1
        let held = root.waitForStat("in_flight", toBe: 2_000, nextID: &nextID, timeout: .seconds(30))
        #expect(held?["in_flight"]?.intValue == 2_000, "\(String(describing: held))")

        let during = try probe("192.0.2.9,hosted.test,cached.test,live2.test", "during")
        #expect(during.status == [0, 0, 0, 0], "\(during)")
        for index in 0..<3 { #expect(during.ms[index] < alone.ms[index] + 50, "local answer \(index): \(during.ms) (alone: \(alone.ms))") }
        #expect(during.ms[3] < alone.ms[3] + 100, "uncached: \(during.ms[3]) ms (alone: \(alone.ms[3]) ms)")

        attacker.process.kill()
        let gone = root.waitForStat("in_flight", toBe: 0, nextID: &nextID, timeout: .seconds(30))
        #expect(gone?["in_flight"]?.intValue == 0)
        let after = try probe("live3.test", "after")
        #expect(after.status == [0] && after.ms[0] < alone.ms[3] + 100, "after the first program left: \(after) (alone: \(alone.ms[3]) ms)")
    }

    /// 100,000 lookups with `timeout_ms` 2,500 pending on names the upstream never answers,
    /// almost all waiting in the uid's share queue: each answered 10060 within twice its
    /// timeout (once they came over 91 s: each leaving the queue was a linear scan under
    /// the service's lock). Twice the timeout as the daemon measures it — from reading the
    /// request to writing its reply, `stats`' latency histogram — because the client's own
    /// clock also counts the time its requests wait in the socket while a debug build on 2
    /// cores reads 200,000 of them, which takes it longer than the timeout by itself
    /// (measured with 3,000 ms and other builds running: the client saw the first 10060 at
    /// 3,036 ms, the median at 3,537 ms, the last at 7,435 ms). 100,000 rather than 200,000
    /// (the daemon's own histogram saw 1 % of 200,000 past 5 s with other builds running);
    /// the report's 200,000 with 3,000 ms is `make stress-share`'s, on a release build. A
    /// tenth under ThreadSanitizer.
    @Test func waitingLookupsTimeOutOnTime() throws {
        let upstream = try SilentUpstream.start()
        defer { upstream.stop() }
        let daemon = try DaemonProcess.start(
            upstream: upstream.serverAddress, config: "max_lookups_per_connection = 100000\n", timeoutMilliseconds: 60_000, tries: 1,
            threadStackBytes: Self.smallStack)
        defer { daemon.stop() }
        let count = Sanitizers.scaled(100_000)
        let timeout = 2_500
        let result = try Self.attack(daemon, ["pending", String(count), "silent", String(timeout)]).result(timeout: .seconds(300))
        #expect(Self.counts(result["lookups"]?.objectValue) == ["10060": Int64(count)], "\(result)")
        #expect(result["min_ms"]?.doubleValue ?? 0 >= Double(timeout), "a 10060 came before its timeout: \(result)")
        let stats = try #require(daemon.connect().call(#"{"id":1,"op":"stats"}"#, id: 1)?.result)
        let histogram = try #require(LatencyHistogram(json: stats["latency_histogram_us"]))
        let withinTwice = histogram.bounds.firstIndex(of: 2 * timeout * 1_000).map { histogram.counts[$0] }
        #expect(histogram.count == count && withinTwice == count,
                "\(withinTwice ?? -1) of \(histogram.count) answered within \(2 * timeout) ms of being read: \(histogram); the client saw \(result)")
    }
}
