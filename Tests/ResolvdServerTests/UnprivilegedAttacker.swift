import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A hostile local client run as uid 65534 (setpriv, util-linux; Python 3 from Debian's
/// python3): it either sends one request over and over without reading a byte of the
/// replies (`flood`), or opens many connections and keeps them idle (`hold`). It prints
/// what it saw, one line per fact, so a test can wait on the facts instead of on time.
final class UnprivilegedAttacker {
    static let script = #"""
        import selectors, socket, sys, time

        def connect(target):
            if target.startswith("/"):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(target)
            else:
                host, port = target.rsplit(":", 1)
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                # A small fixed send buffer: what the daemon leaves unread shows sooner.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
                sock.connect((host, int(port)))
            return sock

        mode, target = sys.argv[1], sys.argv[2]
        if mode == "flood":
            # Requests until the daemon stops reading (a send blocked 3 s) or max bytes sent.
            request = open(sys.argv[3], "rb").read()
            limit = int(sys.argv[4])
            sock = connect(target)
            sock.settimeout(3)
            chunk = request * max(1, 65536 // len(request))
            sent = 0
            try:
                while sent < limit:
                    sent += sock.send(chunk)
                print("sent-all %d" % sent, flush=True)
            except socket.timeout:
                print("blocked %d" % sent, flush=True)
            time.sleep(3600)  # holding the connection until the test kills it
        elif mode == "hold":
            # Opens N connections, then reports how many the daemon keeps open.
            count = int(sys.argv[3])
            selector = selectors.DefaultSelector()
            socks = []
            for _ in range(count):
                try:
                    sock = connect(target)
                except OSError as error:
                    print("connect-failed %s" % error, flush=True)
                    break
                sock.setblocking(False)
                socks.append(sock)
                selector.register(sock, selectors.EVENT_READ)
            print("connected %d" % len(socks), flush=True)
            open_count = len(socks)
            start = time.monotonic()
            while open_count > 0:
                for key, _ in selector.select(timeout=0.2):
                    try:
                        data = key.fileobj.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        selector.unregister(key.fileobj)
                        open_count -= 1
                print("open %d %.3f" % (open_count, time.monotonic() - start), flush=True)
            print("all-closed %.3f" % (time.monotonic() - start), flush=True)
            time.sleep(3600)
        """#

    let process: SpawnedProcess
    let directory: String

    /// Sends `request` to `target` (a Unix socket path or HOST:PORT) over and over, up to
    /// `maxBytes`, and never reads; prints `blocked SENT` once a send blocks for 3 s (the
    /// daemon stopped reading) or `sent-all SENT`. `readable`: directories made reachable
    /// for uid 65534 (a daemon's).
    convenience init(flooding target: String, with request: [UInt8], upTo maxBytes: Int, readable: [String] = []) throws {
        try self.init { directory in
            let path = directory + "/request"
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw FixtureError("cannot write \(path)") }
            defer { close(fd) }
            _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            for path in readable { chmod(path, 0o755) }
            return ["flood", target, path, String(maxBytes)]
        }
    }

    /// Opens `count` connections to `target` and keeps them idle; prints `connected N`, then
    /// `open K SECONDS` as the daemon closes them and `all-closed SECONDS`.
    convenience init(holding count: Int, connectionsTo target: String) throws {
        try self.init { _ in ["hold", target, String(count)] }
    }

    private init(arguments: (String) throws -> [String]) throws {
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        let python = "/usr/bin/python3"
        guard access(python, X_OK) == 0 else { throw FixtureError("/usr/bin/python3 is not installed: apt-get install python3") }
        directory = try SystemdTestSupport.makeTemporaryDirectory(mode: 0o755)
        try writeFile(directory + "/attacker.py", Self.script)
        chmod(directory + "/attacker.py", 0o644)
        process = try SpawnedProcess(
            arguments: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python, directory + "/attacker.py"] + arguments(directory),
            stdout: directory + "/stdout", stderr: directory + "/stderr")
    }

    var lines: [Substring] { ((try? readWholeFile(directory + "/stdout")) ?? "").split(separator: "\n") }
    var errors: String { (try? readWholeFile(directory + "/stderr")) ?? "" }

    /// The first printed line starting with `prefix`, waiting for it up to `timeout`.
    func waitForLine(startingWith prefix: String, timeout: Duration = .seconds(60)) -> Substring? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = lines.first(where: { $0.hasPrefix(prefix) }) { return line }
            if !process.isRunning { return lines.first(where: { $0.hasPrefix(prefix) }) }
            usleep(20_000)
        }
        return nil
    }

    /// Kills it (its connections close) and removes its files; again: nothing.
    func stop() {
        if process.isRunning { process.kill() }
        SystemdTestSupport.removeTree(directory)
    }
}
