import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The bounds that keep one local client from hurting the others (docs/reliability.md,
/// "Bounds against local clients"), end to end: a real daemon, unbound serving
/// ``Zone/bulk``, and attackers run as uid 65534 through setpriv (util-linux).
@Suite(.serialized) struct DaemonBoundsTests {
    static let unbound = Result { try UnboundServer.start(zones: [.bulk]) }

    static let largeQuery = #""op":"query","name":"large.bulk.test","type":"TXT"}"#
    static let mediumQuery = #""op":"query","name":"medium.bulk.test","type":"TXT"}"#

    /// A client that pipelines lookups of a cached ~48 KB answer and never reads: the
    /// daemon stops reading it once `max_queued_reply_bytes` are queued, its RSS stays
    /// within a few MiB of where it was, and another client is answered as usual.
    @Test func aClientThatNeverReadsIsStoppedWhileOthersAreServed() throws {
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        let socat = try SystemdTestSupport.require("socat", package: "socat")
        let daemon = try DaemonProcess.start(upstream: Self.unbound.get().serverAddress)
        defer { daemon.stop() }
        chmod(daemon.directory, 0o755)  // let uid 65534 reach the socket (mode 0666)
        let root = try daemon.connect()
        let warm = try #require(root.call(#"{"id":1,\#(Self.largeQuery)"#, id: 1))
        #expect(warm.status == 0 && warm.result?["records"]?.arrayValue?.count == Zone.largeTXTRecords, "\(warm)")
        let before = try #require(Self.residentBytes(of: daemon.pid))

        // 20,000 requests (1.2 MB) whose replies would be ~1 GB; socat -u never reads.
        let requests = (1...20_000).map { #"{"id":\#($0),\#(Self.largeQuery)"# }.joined(separator: "\n") + "\n"
        try writeFile(daemon.directory + "/flood", requests)
        chmod(daemon.directory + "/flood", 0o644)
        let flood = try SpawnedProcess(
            arguments: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", socat, "-u",
                        "FILE:\(daemon.directory)/flood", "UNIX-CONNECT:\(daemon.socketPath)"],
            stdout: daemon.directory + "/flood.out", stderr: daemon.directory + "/flood.err")
        defer { flood.kill() }

        // The daemon starts lookups until the bound is reached, then no more.
        var nextID: Int64 = 2
        let started = Self.waitUntilSteady { Self.lookupsStarted(root, &nextID) }
        #expect(flood.isRunning, "socat is still blocked writing, not refused: \(String(describing: try? readWholeFile(daemon.directory + "/flood.err")))")
        #expect(started > 1 && started < 200, "lookups started for the non-reading client: \(started) of 20,000")
        let after = try #require(Self.residentBytes(of: daemon.pid))
        let growth = after - min(after, before)
        #expect(growth < 16 << 20, "RSS grew by \(growth >> 10) KiB (\(before >> 10) → \(after >> 10) KiB)")

        // Another client is served as usual meanwhile.
        let clock = ContinuousClock()
        let begin = clock.now
        let small = try #require(root.call(#"{"id":\#(nextID),"op":"query","name":"small.bulk.test","type":"A"}"#, id: nextID))
        #expect(small.status == 0, "\(small)")
        #expect(clock.now - begin < .seconds(1), "answered in \(clock.now - begin)")
    }

    /// A client that pipelines thousands of lookups before reading any reply, then reads:
    /// the daemon pauses and resumes it many times (a 64 KiB bound, 8 MB of replies), and
    /// every lookup is answered exactly once, in a connection that then closes cleanly on
    /// the end of input that arrived behind the held requests.
    @Test func aClientThatReadsLateGetsEveryReplyExactlyOnce() throws {
        let daemon = try DaemonProcess.start(upstream: Self.unbound.get().serverAddress, config: "max_queued_reply_bytes = 65536\n")
        defer { daemon.stop() }
        let client = try daemon.connect()
        let count: Int64 = 4_000
        for id in 1...count { client.send(#"{"id":\#(id),\#(Self.mediumQuery)"#) }
        client.shutdownSending()
        var seen = Set<Int64>()
        var failures: [JSONObject] = []
        while let reply = client.reply(timeout: .seconds(20)) {
            if let id = reply.id { #expect(seen.insert(id).inserted, "a second reply for \(id)") }
            if reply.status != 0 { failures.append(reply) }
        }
        #expect(seen.count == Int(count), "\(seen.count) replies")
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(client.sawEOF, "the daemon closed the connection after the last reply")
    }

    // MARK: - Helpers

    /// VmRSS of a process, in bytes.
    static func residentBytes(of pid: pid_t) -> Int? {
        guard let status = try? readWholeFile("/proc/\(pid)/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kib << 10
    }

    /// `stats` lookups, asked on `client`.
    static func lookupsStarted(_ client: LineClient, _ nextID: inout Int64) -> Int {
        defer { nextID += 1 }
        return Int(client.call(#"{"id":\#(nextID),"op":"stats"}"#, id: nextID)?.result?["lookups"]?.intValue ?? -1)
    }

    /// `stats` completed, asked on `client`.
    static func lookupsCompleted(_ client: LineClient, _ nextID: inout Int64) -> Int {
        defer { nextID += 1 }
        return Int(client.call(#"{"id":\#(nextID),"op":"stats"}"#, id: nextID)?.result?["completed"]?.intValue ?? -1)
    }

    /// Samples `value` every 200 ms until two samples in a row agree (at most 10 s); the last.
    static func waitUntilSteady(_ value: () -> Int) -> Int {
        var last = value()
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            usleep(200_000)
            let next = value()
            if next == last { return next }
            last = next
        }
        return last
    }
}

/// The per-uid share of `max_connections` and the admins' slots, with clients run as
/// unprivileged uids (setpriv) holding connections open.
@Suite struct DaemonConnectionShareTests {
    /// Connects `count` times as `uid`, says hello on each, prints each reply's status and
    /// holds every connection open until killed (Debian's python3, standard library only).
    static let holder = """
        import json, socket, sys, time
        path, count = sys.argv[1], int(sys.argv[2])
        held, statuses = [], []
        for i in range(count):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            try:
                s.sendall(b'{"id":1,"op":"hello"}\\n')
            except OSError:
                pass  # refused and closed already: its reply is still there to read
            f = s.makefile('rb')
            try:
                line = f.readline()
            except OSError:
                line = b''
            statuses.append(json.loads(line)["status"] if line else -1)
            held.append((s, f))
        print(json.dumps(statuses), flush=True)
        time.sleep(60)
        """

    /// Starts the holder as `uid`; returns it (running) and the statuses it saw.
    static func hold(_ count: Int, asUID uid: Int, daemon: DaemonProcess) throws -> (SpawnedProcess, [Int]) {
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        let python = try SystemdTestSupport.require("python3", package: "python3")
        let output = daemon.directory + "/holder-\(uid).out"
        let process = try SpawnedProcess(
            arguments: [setpriv, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", python, "-c", holder, daemon.socketPath, "\(count)"],
            stdout: output, stderr: daemon.directory + "/holder-\(uid).err")
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let text = try? readWholeFile(output), text.hasSuffix("\n") {
                let statuses = text.dropFirst().dropLast(2).split(separator: ",").compactMap { Int($0.filter { $0 != " " }) }
                return (process, statuses)
            }
            usleep(20_000)
        }
        process.kill()
        throw FixtureError("the holder as uid \(uid) printed nothing: \((try? readWholeFile(daemon.directory + "/holder-\(uid).err")) ?? "")")
    }

    @Test func oneUIDCannotLockOutOthersOrRoot() throws {
        let daemon = try DaemonProcess.start(
            upstream: DaemonBoundsTests.unbound.get().serverAddress,
            config: "max_connections = 12\nmax_connections_per_uid = 4\nadmin_connections = 4\n")
        defer { daemon.stop() }
        chmod(daemon.directory, 0o755)
        let root = try daemon.connect()
        var nextID: Int64 = 1
        root.waitForStat("connections", toBe: 1, nextID: &nextID)  // the readiness probe has gone

        // uid 65534 asks for 10: gets its share of 4, the other 6 are refused.
        let (attacker, attackerStatuses) = try Self.hold(10, asUID: 65534, daemon: daemon)
        defer { attacker.kill() }
        #expect(attackerStatuses == Array(repeating: 0, count: 4) + Array(repeating: 10055, count: 6), "\(attackerStatuses)")
        // Another uid gets its share too: 3 more, to 8 with root's.
        let (other, otherStatuses) = try Self.hold(3, asUID: 65533, daemon: daemon)
        defer { other.kill() }
        #expect(otherStatuses == [0, 0, 0], "\(otherStatuses)")
        // 8 open: the last 4 of 12 are the admins'. A third uid is refused …
        let (third, thirdStatuses) = try Self.hold(1, asUID: 65532, daemon: daemon)
        defer { third.kill() }
        #expect(thirdStatuses == [10055], "\(thirdStatuses)")
        // … root is not, up to max_connections.
        let admins = try (0..<4).map { _ in try daemon.connect() }
        for (index, admin) in admins.enumerated() {
            #expect(admin.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0, "admin connection \(index)")
        }
        let overTotal = try daemon.connect()
        let refusal = try #require(overTotal.reply())
        #expect(refusal.status == 10055 && refusal["message"]?.stringValue?.contains("limit 12") == true, "\(refusal)")

        let stats = try #require(root.call(#"{"id":\#(nextID),"op":"stats"}"#, id: nextID)?.result)
        #expect(stats["connections_refused"]?.intValue == 8, "\(stats)")
        // Eight refusals, one log line: the rest are counted into the next one.
        let logged = daemon.log.split(separator: "\n").filter { $0.contains("connection refused") || $0.contains("connections refused") }
        #expect(logged.count == 1, "\(logged)")
        #expect(logged.first?.contains("per uid") == true, "the first refusal names its reason: \(logged)")

        // Once the attacker's connections and two of root's have closed, it may connect again.
        attacker.kill()
        admins[0].close()
        admins[1].close()
        var id = nextID + 1
        root.waitForStat("connections", toBe: 6, nextID: &id)
        let (again, againStatuses) = try Self.hold(2, asUID: 65534, daemon: daemon)
        defer { again.kill() }
        #expect(againStatuses == [0, 0], "\(againStatuses)")
    }
}

/// File descriptors: the soft limit raised at start, `max_connections` lowered to fit a
/// limit that cannot cover it, and no busy loop at EMFILE (prlimit, util-linux).
@Suite struct DaemonDescriptorLimitTests {
    /// resolvd under `prlimit --nofile=SOFT:HARD`, with the hermetic arguments; waits until it answers.
    private static func startUnderLimit(_ nofile: String, config: String, directory: String) throws -> SpawnedProcess {
        let prlimit = try SystemdTestSupport.require("prlimit", package: "util-linux")
        let socket = directory + "/resolvd.sock"
        try writeFile(directory + "/resolvd.conf", config)
        let process = try SpawnedProcess(
            arguments: [prlimit, "--nofile=\(nofile)", DaemonProcess.executable, "--config", directory + "/resolvd.conf", "--socket", socket,
                        "--dns", try DaemonBoundsTests.unbound.get().serverAddress] + DaemonProcess.hermeticArguments(),
            stdout: directory + "/stdout", stderr: directory + "/stderr")
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let client = try? LineClient(path: socket), client.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0 { return process }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        process.kill()
        throw FixtureError("resolvd under prlimit did not answer: \((try? readWholeFile(directory + "/stderr")) ?? "")")
    }

    /// The soft and hard "Max open files" of a process.
    static func openFileLimits(of pid: pid_t) -> (soft: Int, hard: Int)? {
        guard let limits = try? readWholeFile("/proc/\(pid)/limits"),
              let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") }) else { return nil }
        let numbers = line.split(separator: " ").compactMap { Int($0) }
        return numbers.count >= 2 ? (numbers[0], numbers[1]) : nil
    }

    @Test func theSoftLimitIsRaisedAndMaxConnectionsFitsWhatIsLeft() throws {
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let raised = try Self.startUnderLimit("256:4096", config: "", directory: directory + "/")
        defer { raised.stop() }
        let limits = try #require(Self.openFileLimits(of: raised.pid))
        #expect(limits.soft == 4096 && limits.hard == 4096, "\(limits)")
        #expect(!((try? readWholeFile(directory + "/stderr")) ?? "").contains("cannot cover"))

        let lowDirectory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(lowDirectory) }
        let low = try Self.startUnderLimit("300:300", config: "max_connections = 1024\n", directory: lowDirectory + "/")
        defer { low.stop() }
        let log = (try? readWholeFile(lowDirectory + "/stderr")) ?? ""
        #expect(log.contains("the file descriptor limit cannot cover max_connections"), "\(log)")
        #expect(log.contains("using="), "\(log)")
    }

    /// How many descriptors a process has open.
    static func descriptorCount(of pid: pid_t) -> Int? {
        guard let directory = opendir("/proc/\(pid)/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != 0x2e { count += 1 }
        }
        return count
    }

    /// utime + stime of a process, in clock ticks.
    static func cpuTicks(of pid: pid_t) -> Int? {
        guard let stat = try? readWholeFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3 of stat(5); utime and stime are 14 and 15.
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    @Test func atTheDescriptorLimitTheAcceptLoopWaitsAndRecovers() throws {
        let prlimit = try SystemdTestSupport.require("prlimit", package: "util-linux")
        let daemon = try DaemonProcess.start(upstream: DaemonBoundsTests.unbound.get().serverAddress)
        defer { daemon.stop() }
        let root = try daemon.connect()
        #expect(root.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0)
        let open = try #require(Self.descriptorCount(of: daemon.pid))
        let limit = open + 4
        let set = try SystemdTestSupport.run([prlimit, "--pid", "\(daemon.pid)", "--nofile=\(limit):\(limit)"])
        #expect(set.status == 0, "\(set.stderr)")

        // Far more clients than descriptors: the rest wait in the listen backlog.
        var clients = try (0..<32).map { _ in try daemon.connect() }
        usleep(500_000)
        let ticksPerSecond = Int(sysconf(Int32(_SC_CLK_TCK)))
        let before = try #require(Self.cpuTicks(of: daemon.pid))
        usleep(1_000_000)
        let used = try #require(Self.cpuTicks(of: daemon.pid)) - before
        #expect(used * 10 <= ticksPerSecond, "resolvd used \(used) of \(ticksPerSecond) ticks in a second at EMFILE")
        #expect(root.call(#"{"id":2,"op":"hello"}"#, id: 2)?.status == 0, "a connection already open is served")

        // Descriptors free up: every waiting client is accepted, and a new one is answered.
        for client in clients { client.close() }
        clients.removeAll()
        let after = try daemon.connect()
        #expect(after.call(#"{"id":1,"op":"hello"}"#, id: 1, timeout: .seconds(10))?.status == 0, "\(daemon.log)")
    }
}

/// The fair share of the upstream capacity (``UpstreamShare``): one uid holding thousands
/// of lookups on names its upstream never answers does not delay another uid's first
/// uncached lookup.
@Suite struct DaemonUpstreamShareTests {
    /// Sends the lines of a file on one connection, says so, and holds it open until killed.
    static let flooder = """
        import socket, sys, time
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(open(sys.argv[2], 'rb').read())
        print('sent', flush=True)
        time.sleep(120)
        """

    @Test func aUIDsBacklogOnASilentUpstreamDoesNotDelayAnotherUID() throws {
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        let python = try SystemdTestSupport.require("python3", package: "python3")
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        let daemon = try DaemonProcess.start(upstream: upstream.serverAddress, timeoutMilliseconds: 30_000, tries: 1)
        defer { daemon.stop() }
        chmod(daemon.directory, 0o755)
        let root = try daemon.connect()
        let clock = ContinuousClock()
        // The upstream's own time, uncached: a lookup before the attack.
        var begin = clock.now
        #expect(root.call(#"{"id":1,"op":"query","name":"before.test","type":"A"}"#, id: 1)?.status == 0)
        let upstreamTime = clock.now - begin

        // uid 65534: 4,000 lookups of distinct names the upstream never answers.
        let count = 4_000
        let lines = (1...count).map { #"{"id":\#($0),"op":"query","name":"silent\#($0).test","type":"A"}"# }.joined(separator: "\n") + "\n"
        try writeFile(daemon.directory + "/flood", lines)
        chmod(daemon.directory + "/flood", 0o644)
        let flood = try SpawnedProcess(
            arguments: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", Self.flooder, daemon.socketPath,
                        daemon.directory + "/flood"],
            stdout: daemon.directory + "/flood.out", stderr: daemon.directory + "/flood.err")
        defer { flood.kill() }
        var nextID: Int64 = 2
        let held = root.waitForStat("in_flight", toBe: Int64(count), nextID: &nextID)
        #expect(held?["in_flight"]?.intValue == Int64(count), "the attacker's lookups are all in flight: \(String(describing: held))")

        // root's first uncached lookup: the upstream's time plus < 100 ms.
        begin = clock.now
        let victim = root.call(#"{"id":\#(nextID),"op":"query","name":"victim.test","type":"A"}"#, id: nextID)
        let victimTime = clock.now - begin
        #expect(victim?.status == 0, "\(String(describing: victim))")
        #expect(victimTime < upstreamTime + .milliseconds(100), "answered in \(victimTime) (the upstream alone: \(upstreamTime))")
        #expect(flood.isRunning)
    }
}
