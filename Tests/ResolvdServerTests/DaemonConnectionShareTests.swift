import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

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
