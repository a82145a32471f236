import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A protocol v1 client run as another uid (`setpriv --reuid=65534 --regid=65534
/// --clear-groups`, util-linux) by Debian's /usr/bin/python3, following a script of steps,
/// so the monitor and per-client tests see lookups made under a uid that is not root.
///
/// Steps (JSON): `{"send":{…}}`, `{"until_id":n}` (read until the reply with that id),
/// `{"until_event":"name"}` (read until an event for that name), `{"print":"text"}`,
/// `{"wait_file":"path"}`. Every line read is printed, so the test sees exactly what the
/// client got.
struct NobodyClient {
    static let script = #"""
        import json, os, socket, sys, time
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(20)
        sock.connect(sys.argv[1])
        reader = sock.makefile("rb")
        def read():
            line = reader.readline()
            if not line:
                sys.exit("connection closed")
            print(line.decode().rstrip("\n"), flush=True)
            return json.loads(line)
        for step in json.loads(sys.argv[2]):
            if "send" in step:
                sock.sendall((json.dumps(step["send"]) + "\n").encode())
            elif "until_id" in step:
                while True:
                    obj = read()
                    if obj.get("id") == step["until_id"] and "status" in obj:
                        break
            elif "until_event" in step:
                while True:
                    obj = read()
                    if obj.get("event", {}).get("name") == step["until_event"]:
                        break
            elif "print" in step:
                print(step["print"], flush=True)
            elif "wait_file" in step:
                deadline = time.time() + 20
                while not os.path.exists(step["wait_file"]):
                    if time.time() > deadline:
                        sys.exit("no " + step["wait_file"])
                    time.sleep(0.01)
        """#

    let process: SpawnedProcess
    let stdoutPath: String
    let directory: String

    /// Starts the client as uid/gid `uid` (nobody by default) against `daemon`, whose
    /// directory becomes reachable for it.
    init(daemon: DaemonProcess, uid: Int = 65534, steps: [String]) throws {
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        let python = "/usr/bin/python3"
        guard access(python, X_OK) == 0 else { throw FixtureError("/usr/bin/python3 is not installed: apt-get install python3") }
        chmod(daemon.directory, 0o755)  // the socket itself is 0666
        directory = try SystemdTestSupport.makeTemporaryDirectory(mode: 0o755)
        let scriptPath = directory + "/client.py"
        try writeFile(scriptPath, Self.script)
        chmod(scriptPath, 0o644)
        stdoutPath = directory + "/stdout"
        process = try SpawnedProcess(
            arguments: [setpriv, "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", python, scriptPath, daemon.socketPath,
                        "[" + steps.joined(separator: ",") + "]"],
            stdout: stdoutPath, stderr: directory + "/stderr")
    }

    var output: String { (try? readWholeFile(stdoutPath)) ?? "" }
    var errors: String { (try? readWholeFile(directory + "/stderr")) ?? "" }

    /// Waits until the client has printed `line`.
    func waitFor(line: String, timeout: Duration = .seconds(20)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if output.split(separator: "\n").contains(Substring(line)) { return true }
            usleep(10_000)
        }
        return false
    }

    /// Waits for the exit; the lines printed, parsed (the plain-text ones skipped).
    func finish() throws -> [JSONObject] {
        let status = process.waitForExit(timeout: .seconds(30))
        defer { SystemdTestSupport.removeTree(directory) }
        #expect(status == 0, "python client as nobody: \(errors)")
        return output.split(separator: "\n").compactMap { line in
            guard case .object(let object)? = try? Array(line.utf8).withUnsafeBytes({ try JSONParser.parse($0) }) else { return nil }
            return object
        }
    }
}

extension JSONObject {
    /// The `event` of an event line.
    var event: JSONObject? { self["event"]?.objectValue }
}

extension LineClient {
    /// Reads lines until an event for `name` arrives (nil on timeout); every event read on the way in `events`.
    func readEvents(until name: String, into events: inout [JSONObject], timeout: Duration = .seconds(10)) -> JSONObject? {
        while let line = reply(timeout: timeout) {
            guard let event = line.event else { continue }
            events.append(event)
            if event["name"]?.stringValue == name { return event }
        }
        return nil
    }
}
