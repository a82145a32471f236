@testable import ResolvdServer
import ResolverCore
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The daemon over its real socket, against real loopback DNS servers.
@Suite struct DaemonOperationTests {
    static let unbound = Result { try UnboundServer.start() }

    private func daemon(config: String = "") throws -> DaemonProcess {
        try DaemonProcess.start(upstream: Self.unbound.get().serverAddress, config: config)
    }

    @Test func helloAndStats() throws {
        let daemon = try daemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        let hello = try #require(client.call(#"{"id":1,"op":"hello"}"#, id: 1))
        #expect(hello.status == 0)
        #expect(hello.result?["server"]?.stringValue == "resolvd")
        #expect(hello.result?["protocol"]?.intValue == 1)
        #expect(hello.result?["ops"]?.arrayValue?.count == 21)
        // The readiness probe's connection may still be closing: wait for it to go.
        var nextID: Int64 = 2
        let stats = try #require(client.waitForStat("connections", toBe: 1, nextID: &nextID))
        for key in ["in_flight", "connections", "lookups", "completed", "cancelled", "timed_out"] {
            #expect(stats[key]?.intValue != nil, "stats has \(key)")
        }
        #expect(stats["connections"]?.intValue == 1)
    }

    /// The v1 socket is created mode 0666 (every local user may look up names), whatever the
    /// daemon's umask; `socket_mode` changes it.
    @Test func theSocketHasTheModeItPromises() throws {
        func mode(_ path: String) -> mode_t? {
            var status = stat()
            return stat(path, &status) == 0 ? status.st_mode : nil
        }
        let daemon = try daemon()
        defer { daemon.stop() }
        let socket = try #require(mode(daemon.socketPath), "no socket at \(daemon.socketPath)")
        #expect(socket & S_IFMT == S_IFSOCK)
        #expect(socket & 0o7777 == 0o666, "mode \(String(socket & 0o7777, radix: 8))")

        let restricted = try self.daemon(config: "socket_mode = 0600\n")
        defer { restricted.stop() }
        #expect(mode(restricted.socketPath).map { $0 & 0o7777 } == 0o600)
    }

    @Test func everyLookupOp() throws {
        let daemon = try daemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        let gai = try #require(client.call(
            #"{"id":1,"op":"getaddrinfo","name":"chain.example.test","socktype":"stream","flags":["canonname"]}"#, id: 1))
        #expect(gai.status == 0)
        #expect(gai.result?["canonical_name"]?.stringValue == "www.example.test")
        let addresses = gai.result?["addresses"]?.arrayValue?.compactMap { $0.objectValue?["address"]?.stringValue } ?? []
        #expect(Set(addresses) == ["192.0.2.10", "2001:db8::10"])
        let first = gai.result?["addresses"]?.arrayValue?.first?.objectValue
        #expect(first?["protocol"]?.stringValue == "tcp" && first?["socktype"]?.stringValue == "stream")
        #expect((first?["ttl"]?.intValue ?? 0) > 0)

        let gni = try #require(client.call(#"{"id":2,"op":"getnameinfo","address":"192.0.2.10","port":22,"flags":["numericserv"]}"#, id: 2))
        #expect(gni.result?["host"]?.stringValue == "www.example.test")
        #expect(gni.result?["service"]?.stringValue == "22")

        let srv = try #require(client.call(#"{"id":3,"op":"query","name":"_http._tcp.example.test","type":"SRV"}"#, id: 3))
        let record = srv.result?["records"]?.arrayValue?.first?.objectValue
        #expect(record?["type"]?.stringValue == "SRV")
        #expect(record?["port"]?.intValue == 8080 && record?["target"]?.stringValue == "www.example.test")
        #expect(record?["priority"]?.intValue == 10 && record?["weight"]?.intValue == 60)

        let txt = try #require(client.call(#"{"id":4,"op":"query","name":"txt.example.test","type":"TXT"}"#, id: 4))
        #expect(txt.result?["records"]?.arrayValue?.first?.objectValue?["strings"]?.arrayValue == [.string("hello world"), .string("second string")])

        let hbn = try #require(client.call(#"{"id":5,"op":"gethostbyname","name":"www.example.test"}"#, id: 5))
        #expect(hbn.result?["family"]?.stringValue == "inet")
        #expect(hbn.result?["addresses"]?.arrayValue == [.string("192.0.2.10")])

        let hba = try #require(client.call(#"{"id":6,"op":"gethostbyaddr","address":"192.0.2.20"}"#, id: 6))
        #expect(hba.result?["name"]?.stringValue == "v4only.example.test")

        let sbn = try #require(client.call(#"{"id":7,"op":"getservbyname","name":"ssh","proto":"tcp"}"#, id: 7))
        #expect(sbn.result?["port"]?.intValue == 22 && sbn.result?["proto"]?.stringValue == "tcp")
        let sbp = try #require(client.call(#"{"id":8,"op":"getservbyport","port":22,"proto":"tcp"}"#, id: 8))
        #expect(sbp.result?["name"]?.stringValue == "ssh")
        let pbn = try #require(client.call(#"{"id":9,"op":"getprotobyname","name":"udp"}"#, id: 9))
        #expect(pbn.result?["number"]?.intValue == 17)
        let pbnum = try #require(client.call(#"{"id":10,"op":"getprotobynumber","number":6}"#, id: 10))
        #expect(pbnum.result?["name"]?.stringValue == "tcp")

        let small = try #require(client.call(#"{"id":11,"op":"gethostbyname","name":"big.example.test","buflen":100}"#, id: 11))
        #expect(small.status == 10055 && small.errorSymbol == "WSAENOBUFS")
        #expect(small["required"]?.intValue == 545)

        let nx = try #require(client.call(#"{"id":12,"op":"getaddrinfo","name":"nxdomain.example.test"}"#, id: 12))
        #expect(nx.status == 11001 && nx.errorSymbol == "WSAHOST_NOT_FOUND")
        #expect(nx["message"]?.stringValue?.isEmpty == false)
    }

    @Test func protocolErrors() throws {
        let daemon = try daemon()
        defer { daemon.stop() }
        let client = try daemon.connect()
        for bad in ["not json", "[1,2]", #"{"op":"hello"}"#, #"{"id":0,"op":"hello"}"#, #"{"id":1.5,"op":"hello"}"#, #"{"id":"3","op":"hello"}"#] {
            client.send(bad)
            let reply = try #require(client.reply(), "\(bad)")
            #expect(reply["id"] == .null, "\(bad)")
            #expect(reply.status == 10022 && reply.errorSymbol == "WSAEINVAL", "\(bad)")
        }
        // The connection stays open after those.
        #expect(client.call(#"{"id":5,"op":"hello"}"#, id: 5)?.status == 0)
        let unknown = try #require(client.call(#"{"id":6,"op":"frobnicate"}"#, id: 6))
        #expect(unknown.status == 10022)
        let missing = try #require(client.call(#"{"id":7,"op":"getaddrinfo"}"#, id: 7))
        #expect(missing.status == 10022 && (missing["message"]?.stringValue ?? "").contains("name"))
        let mistyped = try #require(client.call(#"{"id":8,"op":"getservbyport","port":"http"}"#, id: 8))
        #expect(mistyped.status == 10022)
        let badFlag = try #require(client.call(#"{"id":9,"op":"getaddrinfo","name":"x.test","flags":["bogus"]}"#, id: 9))
        #expect(badFlag.status == 10022)
        // An id not greater than the previous: the error, then the connection closes.
        client.send(#"{"id":9,"op":"hello"}"#)
        let replay = try #require(client.reply())
        #expect(replay["id"] == .null && replay.status == 10022)
        #expect(client.isClosedByPeer())
        // Nobody else noticed.
        let other = try daemon.connect()
        #expect(other.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0)
    }

    @Test func overLongLineIsRefusedAndClosed() throws {
        let daemon = try daemon(config: "max_request_bytes = 1024\n")
        defer { daemon.stop() }
        let client = try daemon.connect()
        client.send(#"{"id":1,"op":"hello","pad":""# + String(repeating: "x", count: 5000) + #""}"#)
        let reply = try #require(client.reply())
        #expect(reply["id"] == .null && reply.status == 10022)
        #expect(client.isClosedByPeer())
    }

    @Test func connectionLimit() throws {
        let daemon = try daemon(config: "max_connections = 2\n")
        defer { daemon.stop() }
        let first = try daemon.connect()
        var nextID: Int64 = 1
        first.waitForStat("connections", toBe: 1, nextID: &nextID)  // the readiness probe has gone
        let second = try daemon.connect()
        #expect(second.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0)
        let third = try daemon.connect()
        let refusal = try #require(third.reply())
        #expect(refusal.status == 10055 && refusal["id"] == .null)
        #expect(third.isClosedByPeer())
        #expect(first.call(#"{"id":\#(nextID),"op":"hello"}"#, id: nextID)?.status == 0)
    }
}

/// The cancel rules over the socket, against an upstream that never answers.
@Suite struct DaemonCancellationTests {
    private func pendingDaemon(config: String = "") throws -> (DaemonProcess, SilentUpstream) {
        let silent = try SilentUpstream.start()
        return (try DaemonProcess.start(upstream: silent.serverAddress, config: config, timeoutMilliseconds: 30_000, tries: 1), silent)
    }

    @Test func cancelWritesTheLookupsReplyFirst() throws {
        let (daemon, silent) = try pendingDaemon()
        defer { daemon.stop(); silent.stop() }
        let client = try daemon.connect()
        client.send(#"{"id":1,"op":"getaddrinfo","name":"pending.example.test"}"#)
        client.send(#"{"id":2,"op":"cancel","handle":1}"#)
        let first = try #require(client.reply())
        let second = try #require(client.reply())
        #expect(first.id == 1 && first.status == 10111 && first.errorSymbol == "WSA_E_CANCELLED")
        #expect(second.id == 2 && second.status == 0)
        // Finished, never issued, zero: WSA_INVALID_HANDLE.
        for (id, handle) in [(3, 1), (4, 99), (5, 0)] {
            let reply = try #require(client.call(#"{"id":\#(id),"op":"cancel","handle":\#(handle)}"#, id: Int64(id)))
            #expect(reply.status == 6 && reply.errorSymbol == "WSA_INVALID_HANDLE", "handle \(handle)")
        }
    }

    @Test func cancelAfterAnAnswerIsInvalidHandle() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let client = try daemon.connect()
        #expect(client.call(#"{"id":1,"op":"query","name":"www.example.test","type":"A"}"#, id: 1)?.status == 0)
        #expect(client.call(#"{"id":2,"op":"cancel","handle":1}"#, id: 2)?.status == 6)
        #expect(client.call(#"{"id":3,"op":"cancel_async_request","handle":1}"#, id: 3)?.status == 10037)
    }

    @Test func cancelAfterTimeoutIsInvalidHandle() throws {
        let (daemon, silent) = try pendingDaemon()
        defer { daemon.stop(); silent.stop() }
        let client = try daemon.connect()
        let timedOut = try #require(client.call(#"{"id":1,"op":"getaddrinfo","name":"t.example.test","timeout_ms":50}"#, id: 1))
        #expect(timedOut.status == 10060 && timedOut.errorSymbol == "WSAETIMEDOUT")
        #expect(client.call(#"{"id":2,"op":"cancel","handle":1}"#, id: 2)?.status == 6)

        // When 10060 comes: not before each lookup's own deadline, and a deadline 500 ms longer
        // answers about 500 ms later (the resolver's own timeout is 30 s). Relative to the
        // short one, so that a loaded machine's delays cancel out.
        let timedOutCode = Int64(ResultCode.timedOut.rawValue)
        var started = ContinuousClock.now
        let short = client.call(#"{"id":3,"op":"query","name":"s.example.test","type":"A","timeout_ms":100}"#, id: 3)
        let shortAfter = ContinuousClock.now - started
        started = ContinuousClock.now
        let long = client.call(#"{"id":4,"op":"query","name":"l.example.test","type":"A","timeout_ms":600}"#, id: 4)
        let longAfter = ContinuousClock.now - started
        #expect(short?.status == timedOutCode && long?.status == timedOutCode, "\(String(describing: short)) \(String(describing: long))")
        #expect(shortAfter >= .milliseconds(100) && longAfter >= .milliseconds(600), "answered after \(shortAfter) and \(longAfter)")
        #expect(longAfter - shortAfter >= .milliseconds(400), "600 ms answered \(longAfter), 100 ms \(shortAfter)")
        #expect(longAfter < shortAfter + .milliseconds(500) + .seconds(1), "600 ms answered \(longAfter), 100 ms \(shortAfter)")
    }

    @Test func cancelAsyncRequestRules() throws {
        let (daemon, silent) = try pendingDaemon()
        defer { daemon.stop(); silent.stop() }
        let client = try daemon.connect()
        client.send(#"{"id":10,"op":"gethostbyname","name":"pending.example.test"}"#)
        client.send(#"{"id":11,"op":"cancel_async_request","handle":10}"#)
        let first = try #require(client.reply())
        let second = try #require(client.reply())
        #expect(first.id == 10 && first.status == 10111)
        #expect(second.id == 11 && second.status == 0)
        #expect(client.call(#"{"id":12,"op":"cancel_async_request","handle":10}"#, id: 12)?.status == 10037)
        #expect(client.call(#"{"id":13,"op":"cancel_async_request","handle":5}"#, id: 13)?.status == 10037)  // ≤ highest id seen
        #expect(client.call(#"{"id":14,"op":"cancel_async_request","handle":0}"#, id: 14)?.status == 10022)
        #expect(client.call(#"{"id":15,"op":"cancel_async_request","handle":99}"#, id: 15)?.status == 10022)
    }

    @Test func cancelAllAnswersEachLookupFirst() throws {
        let (daemon, silent) = try pendingDaemon()
        defer { daemon.stop(); silent.stop() }
        let client = try daemon.connect()
        client.send(#"{"id":1,"op":"getaddrinfo","name":"a.example.test"}"#)
        client.send(#"{"id":2,"op":"query","name":"b.example.test","type":"MX"}"#)
        client.send(#"{"id":3,"op":"gethostbyaddr","address":"192.0.2.1"}"#)
        client.send(#"{"id":4,"op":"cancel_all"}"#)
        var aborted: Set<Int64> = []
        for _ in 0..<3 {
            let reply = try #require(client.reply())
            #expect(reply.status == 995 && reply.errorSymbol == "ERROR_OPERATION_ABORTED")
            if let id = reply.id { aborted.insert(id) }
        }
        #expect(aborted == [1, 2, 3])
        let done = try #require(client.reply())
        #expect(done.id == 4 && done.status == 0 && done.result?["cancelled"]?.intValue == 3)
        let none = try #require(client.call(#"{"id":5,"op":"cancel_all"}"#, id: 5))
        #expect(none.status == 1168 && none.errorSymbol == "ERROR_NOT_FOUND")
    }

    @Test func inFlightLimitAnswersAtOnce() throws {
        let (daemon, silent) = try pendingDaemon(config: "max_lookups_per_connection = 2\n")
        defer { daemon.stop(); silent.stop() }
        let client = try daemon.connect()
        client.send(#"{"id":1,"op":"getaddrinfo","name":"a.example.test"}"#)
        client.send(#"{"id":2,"op":"getaddrinfo","name":"b.example.test"}"#)
        let over = try #require(client.call(#"{"id":3,"op":"getaddrinfo","name":"c.example.test"}"#, id: 3))
        #expect(over.status == 10055)
        #expect(client.call(#"{"id":4,"op":"hello"}"#, id: 4)?.status == 0)
    }

    @Test func closingAConnectionFreesEverything() throws {
        let (daemon, silent) = try pendingDaemon()
        defer { daemon.stop(); silent.stop() }
        let doomed = try daemon.connect()
        for id in 1...20 { doomed.send(#"{"id":\#(id),"op":"getaddrinfo","name":"p\#(id).example.test"}"#) }
        let observer = try daemon.connect()
        var stats = try #require(observer.call(#"{"id":1,"op":"stats"}"#, id: 1))
        let deadline = ContinuousClock.now + .seconds(5)
        var id: Int64 = 2
        while stats.result?["in_flight"]?.intValue != 20 && ContinuousClock.now < deadline {
            stats = try #require(observer.call(#"{"id":\#(id),"op":"stats"}"#, id: id))
            id += 1
        }
        #expect(stats.result?["in_flight"]?.intValue == 20)
        doomed.close()
        while (stats.result?["in_flight"]?.intValue != 0 || stats.result?["connections"]?.intValue != 1) && ContinuousClock.now < deadline + .seconds(5) {
            usleep(20_000)
            stats = try #require(observer.call(#"{"id":\#(id),"op":"stats"}"#, id: id))
            id += 1
        }
        #expect(stats.result?["in_flight"]?.intValue == 0)
        #expect(stats.result?["connections"]?.intValue == 1)
    }

    @Test func sigtermAbortsInFlightThenExitsZero() throws {
        let (daemon, silent) = try pendingDaemon()
        defer { silent.stop() }
        let client = try daemon.connect()
        client.send(#"{"id":1,"op":"getaddrinfo","name":"a.example.test"}"#)
        client.send(#"{"id":2,"op":"query","name":"b.example.test","type":"A"}"#)
        #expect(client.call(#"{"id":3,"op":"hello"}"#, id: 3)?.status == 0)
        daemon.signal(SIGTERM)
        var codes: [Int64: Int64] = [:]
        while let reply = client.reply(timeout: .seconds(5)) {
            if let id = reply.id { codes[id] = reply.status }
        }
        #expect(codes == [1: 995, 2: 995])
        #expect(client.sawEOF)
        let exitStatus = daemon.waitForExit(timeout: .seconds(30))
        #expect(exitStatus == 0, "resolvd did not exit cleanly after SIGTERM: \(daemon.log)")
        #expect(access(daemon.socketPath, F_OK) != 0, "the socket file is removed")
    }

    /// A client that pipelines requests and never reads its replies cannot keep SIGTERM from
    /// completing: its unread replies are dropped after the shutdown grace period.
    @Test func sigtermCompletesWhileAClientReadsNothing() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        let stuck = try daemon.connect()
        // Cached answers of ~40 addresses each: megabytes of replies, far past what the
        // socket buffers hold, so writes to this client stay pending (up to
        // max_queued_reply_bytes: then the daemon stops reading it, DaemonBoundsTests).
        #expect(stuck.call(#"{"id":1,"op":"query","name":"big.example.test","type":"A"}"#, id: 1)?.status == 0)
        for id in 2...3_000 { stuck.send(#"{"id":\#(id),"op":"query","name":"big.example.test","type":"A"}"#) }
        let other = try daemon.connect()
        var nextID: Int64 = 1
        let completed = DaemonBoundsTests.waitUntilSteady { DaemonBoundsTests.lookupsCompleted(other, &nextID) }
        #expect(completed >= 500, "megabytes of replies were queued for the stuck connection: \(completed) lookups")
        // What a SIGTERM costs with nothing pending, on this machine now: the yardstick.
        let idle = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { idle.stop() }
        var signalled = ContinuousClock.now
        idle.signal(SIGTERM)
        #expect(idle.waitForExit(timeout: .seconds(30)) == 0, "resolvd did not stop: \(idle.log)")
        let idleExit = ContinuousClock.now - signalled

        signalled = ContinuousClock.now
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: .seconds(30)) == 0, "resolvd did not stop: \(daemon.log)")
        let stuckExit = ContinuousClock.now - signalled
        #expect(access(daemon.socketPath, F_OK) != 0, "the socket file is removed")
        // The unwritten replies hold the exit for the grace period, and no longer.
        let grace = Duration.nanoseconds(ResolvdDaemon.shutdownGrace.nanoseconds)
        #expect(stuckExit >= grace - .milliseconds(100), "exited after \(stuckExit), before the grace of \(grace)")
        #expect(stuckExit < grace + idleExit + .seconds(1), "exited after \(stuckExit): the grace \(grace) plus an idle exit's \(idleExit)")
    }
}

/// Two clients asking the same thing: cancelling one leaves the other's answer intact.
@Suite struct DaemonIsolationTests {
    @Test func cancellingOneClientLeavesTheOther() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        let daemon = try DaemonProcess.start(upstream: proxy.serverAddress)
        defer { daemon.stop() }
        let alice = try daemon.connect()
        let bob = try daemon.connect()
        let request = #"{"id":1,"op":"getaddrinfo","name":"www.example.test","family":"inet","socktype":"stream"}"#
        // The gate keeps the shared answer at the proxy until alice has cancelled.
        proxy.hold()
        alice.send(request)
        bob.send(request)
        // Bob has joined alice's lookup (his stats come after his lookup), whose query has
        // been answered upstream: both are waiting on it.
        var bobID: Int64 = 2
        #expect(bob.waitForStat("coalesced", toBe: 1, nextID: &bobID)?["coalesced"]?.intValue == 1)
        #expect(proxy.waitUntil(repliesHeld: 1))
        alice.send(#"{"id":2,"op":"cancel","handle":1}"#)
        #expect(alice.reply()?.status == 10111)
        #expect(alice.reply()?.status == 0)
        proxy.release()
        let answer = try #require(bob.reply())
        #expect(answer.id == 1 && answer.status == 0)
        #expect(answer.result?["addresses"]?.arrayValue?.first?.objectValue?["address"]?.stringValue == "192.0.2.10")
    }
}
