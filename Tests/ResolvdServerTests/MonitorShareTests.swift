import ResolvdProtocol
import ResolverTesting
import ResolverTypes
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Monitors as a local user would attack them (docs/reliability.md, bounds table): one uid
/// cannot take every monitor slot nor root's, and a name the daemon refused cannot put
/// control sequences or a forged line on `resolvdctl monitor`'s terminal.
@Suite(.serialized) struct MonitorShareTests {
    /// uid 65534 asks for 64 monitors (every slot of the daemon-wide 64) on one connection:
    /// it gets its share of 8, the 56 others 10055 naming its uid; root then still gets one.
    @Test func oneUIDGetsItsShareOfMonitorsAndRootStillGetsOne() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let directory = try SystemdTestSupport.makeTemporaryDirectory(mode: 0o755)
        defer { SystemdTestSupport.removeTree(directory) }
        let gate = directory + "/go"
        var steps = (1...64).map { #"{"send":{"id":\#($0),"op":"monitor"}}"# }
        steps += [#"{"send":{"id":100,"op":"hello"}}"#, #"{"until_id":100}"#, #"{"print":"ready"}"#, #"{"wait_file":"\#(gate)"}"#]
        let attacker = try NobodyClient(daemon: daemon, steps: steps)
        #expect(attacker.waitFor(line: "ready"), "attacker: \(attacker.errors)")

        let root = try daemon.connect()
        root.send(#"{"id":1,"op":"monitor"}"#)
        root.send(#"{"id":2,"op":"getaddrinfo","name":"v4only.example.test"}"#)
        var events: [JSONObject] = []
        let seen = root.readEvents(until: "v4only.example.test", into: &events)
        try writeFile(gate, "")
        let lines = try attacker.finish()
        let refused = lines.filter { $0.status == Int64(ResultCode.noBufferSpace.rawValue) }
        print("monitor share: uid 65534 asked 64 monitors, \(64 - refused.count) ran, \(refused.count) refused; root's monitor \(seen != nil ? "ran" : "refused")")
        #expect(refused.count == 64 - 8, "uid 65534 got its share of 8 monitors: \(refused.count) refused")
        #expect(refused.allSatisfy { $0["message"]?.stringValue?.contains("for uid 65534") == true }, "\(refused.first ?? [:])")
        #expect(seen != nil, "root's monitor ran and saw its lookup; events: \(events)")
    }

    /// The last `admin_monitors` slots are root's: two uids fill the rest, a third is
    /// refused although under its own share, root gets the reserved ones and no more.
    @Test func theLastMonitorSlotsAreKeptForAdmins() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(
            upstream: unbound.serverAddress, config: "max_monitors = 6\nmax_monitors_per_uid = 2\nadmin_monitors = 2\n")
        defer { daemon.stop() }
        let directory = try SystemdTestSupport.makeTemporaryDirectory(mode: 0o755)
        defer { SystemdTestSupport.removeTree(directory) }
        var clients: [NobodyClient] = []
        for uid in [65534, 65533, 65532] {
            let steps = [#"{"send":{"id":1,"op":"monitor"}}"#, #"{"send":{"id":2,"op":"monitor"}}"#, #"{"send":{"id":3,"op":"monitor"}}"#,
                         #"{"send":{"id":100,"op":"hello"}}"#, #"{"until_id":100}"#, #"{"print":"ready"}"#, #"{"wait_file":"\#(directory)/go"}"#]
            let client = try NobodyClient(daemon: daemon, uid: uid, steps: steps)
            #expect(client.waitFor(line: "ready"), "uid \(uid): \(client.errors)")
            clients.append(client)
        }
        let root = try daemon.connect()
        root.send((1...3).map { #"{"id":\#($0),"op":"monitor"}"# }.joined(separator: "\n"))
        let rootRefused = try #require(root.call(#"{"id":4,"op":"hello"}"#, id: 3))
        try writeFile(directory + "/go", "")
        let messages = try clients.map { client in
            try client.finish().filter { $0.status == Int64(ResultCode.noBufferSpace.rawValue) }.compactMap { $0["message"]?.stringValue }
        }
        #expect(messages[0].count == 1 && messages[0][0].contains("for uid 65534"), "\(messages[0])")
        #expect(messages[1].count == 1 && messages[1][0].contains("for uid 65533"), "\(messages[1])")
        #expect(messages[2].count == 3 && messages[2].allSatisfy { $0.contains("kept for admins") }, "\(messages[2])")
        #expect(rootRefused.status == Int64(ResultCode.noBufferSpace.rawValue), "root's third monitor: the daemon-wide bound")
        #expect(rootRefused["message"]?.stringValue?.contains("limit 6") == true, "\(rootRefused)")
    }

    /// A name with ESC, BEL and a newline followed by a forged monitor line, asked by uid
    /// 65534 and refused (10022), as the real `resolvdctl monitor` prints it to root: escaped,
    /// on the attacker's own line, with no control byte anywhere in the output.
    @Test func aRefusedNameIsPrintedEscapedByResolvdctlMonitor() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let directory = try SystemdTestSupport.makeTemporaryDirectory(mode: 0o755)
        defer { SystemdTestSupport.removeTree(directory) }
        let monitor = try SpawnedProcess(
            arguments: [ObserveCommandLineTests.resolvdctl, "--socket", daemon.socketPath, "monitor"],
            stdout: directory + "/out", stderr: directory + "/err")
        defer { kill(monitor.pid, SIGKILL) }
        var output = ObserveCommandLineTests.lookUpUntilMonitorPrints(try daemon.connect(), firstID: 1, output: directory + "/out")
        let evil = #"evil.test\u001b[2J\u001b]0;owned\u0007\nuid 0 sshd getaddrinfo evil.test OK 1.2.3.4 cache"#
        let attacker = try NobodyClient(daemon: daemon, steps: [
            #"{"send":{"id":1,"op":"getaddrinfo","name":"\#(evil)"}}"#, #"{"until_id":1}"#,
            #"{"send":{"id":2,"op":"query","name":"\#(evil)","type":"A"}}"#, #"{"until_id":2}"#,
            #"{"send":{"id":3,"op":"getnameinfo","address":"\#(evil)"}}"#, #"{"until_id":3}"#,
            #"{"send":{"id":4,"op":"getaddrinfo","name":"marker.wild.example.test"}}"#, #"{"until_id":4}"#,
        ])
        let replies = try attacker.finish()
        #expect(replies.filter { $0.status == Int64(ResultCode.invalidArgument.rawValue) }.count == 3, "\(replies)")
        let printed = ContinuousClock.now + .seconds(10)
        while !output.contains("marker.wild"), ContinuousClock.now < printed {
            usleep(20_000)
            output = (try? readWholeFile(directory + "/out")) ?? ""
        }
        kill(monitor.pid, SIGINT)
        _ = monitor.waitForExit()
        let bytes = Array(output.utf8)
        let controls = bytes.filter { ($0 < 0x20 && $0 != 0x0a) || $0 == 0x7f }
        print("monitor escapes: \(bytes.count) bytes printed, \(controls.count) control bytes")
        #expect(controls.isEmpty, "control bytes \(controls) in: \(output)")
        let lines = output.split(separator: "\n").map(String.init)
        let attackerLines = lines.filter { $0.contains("evil.test") }
        #expect(attackerLines.count == 3, "\(lines)")
        #expect(attackerLines.allSatisfy { $0.contains(#"evil.test\x1b[2J\x1b]0;owned\x07\x0auid 0 sshd"#) && $0.contains("uid 65534") }, "\(attackerLines)")
        #expect(!lines.contains { $0.contains("uid 0 sshd") && !$0.contains("uid 65534") }, "no forged line: \(lines)")
        // Every line is a monitor line: it starts with the time.
        #expect(lines.allSatisfy { $0.first?.isNumber == true }, "\(lines)")
    }
}
