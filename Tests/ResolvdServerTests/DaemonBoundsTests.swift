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
