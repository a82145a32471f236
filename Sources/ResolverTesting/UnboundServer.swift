import Glibc

/// A real `unbound` (Debian package `unbound`) serving ``Zone``s as auth-zones on a free
/// loopback port, UDP and TCP, in the foreground, from a fresh temporary directory.
///
/// Nothing leaves the machine: the only forward-zone is "." pointing at a closed loopback
/// port, and with unbound's default `do-not-query-localhost: yes` that address is never
/// even used, so names outside the zones get SERVFAIL at once.
public final class UnboundServer: Sendable {
    public static let executable = "/usr/sbin/unbound"

    public let host: String = "127.0.0.1"
    public let port: UInt16
    /// The temporary directory holding unbound.conf, the zone files and unbound.log.
    public let directory: String

    public var serverAddress: String { "\(host):\(port)" }

    /// The child's pid while it runs; nil once stopped.
    private let pid: Locked<pid_t?>

    private init(port: UInt16, directory: String, pid: pid_t) {
        self.port = port
        self.directory = directory
        self.pid = Locked(pid)
    }

    /// Starts unbound and waits (up to ~10 s) until it answers a real UDP query.
    /// `extraConfig` is inserted after the `server:` options and before the auth-zone
    /// clauses, so bare server options work and it may open clauses of its own. To forward
    /// some name to a fixture on 127.0.0.1 add `do-not-query-localhost: no`. `port` nil
    /// picks a free port; a given port (e.g. 53 inside a private network namespace) is
    /// tried once. `threads` is unbound's `num-threads`.
    public static func start(
        zones: [Zone] = [.example, .reverse4, .reverse6], extraConfig: String = "", port fixedPort: UInt16? = nil, threads: Int = 1
    ) throws -> UnboundServer {
        guard access(executable, X_OK) == 0 else {
            throw FixtureError("unbound is not installed: apt-get install unbound")
        }
        var template = Array("/tmp/resolvd-unbound-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError.fromErrno("mkdtemp") }
        let directory = String(cString: made)
        do {
            for (index, zone) in zones.enumerated() {
                try writeFile("\(directory)/zone\(index).zone", zone.text)
            }
            var lastFailure = ""
            // A port found free can be taken before unbound binds it; then try another.
            for _ in 0..<(fixedPort == nil ? 5 : 1) {
                let port = try fixedPort ?? Socket.freePort()
                let config = try configuration(directory: directory, port: port, zones: zones, extraConfig: extraConfig, threads: threads)
                try writeFile("\(directory)/unbound.conf", config)
                let pid = try spawn(directory: directory)
                let server = UnboundServer(port: port, directory: directory, pid: pid)
                switch server.waitUntilAnswering(timeout: .seconds(10)) {
                case .ready:
                    return server
                case .exited(let status):
                    let log = server.log
                    server.stopProcess()
                    lastFailure = "unbound exited (status \(status)) before answering:\n\(log)"
                    if log.contains("bind") || log.contains("in use") { continue }
                    throw FixtureError(lastFailure)
                case .timedOut:
                    let log = server.log
                    server.stopProcess()
                    throw FixtureError("unbound did not answer on \(server.serverAddress) within 10 s:\n\(log)")
                }
            }
            throw FixtureError(lastFailure)
        } catch {
            removeDirectory(directory)
            throw error
        }
    }

    /// Everything unbound wrote to stdout and stderr so far.
    public var log: String { (try? readWholeFile("\(directory)/unbound.log")) ?? "" }

    /// Stops unbound (SIGTERM, then SIGKILL after 5 s) and removes the directory. Idempotent.
    public func stop() {
        let hadProcess = pid.current != nil
        stopProcess()
        if hadProcess { removeDirectory(directory) }
    }

    deinit { stop() }

    // MARK: - Process

    private enum Readiness { case ready, exited(Int32), timedOut }

    private func waitUntilAnswering(timeout: Duration) -> Readiness {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = reapIfExited() { return .exited(status) }
            do {
                _ = try DNSProbe.query("ns.example.test", type: .a, host: host, port: port, timeout: .milliseconds(200))
                return .ready
            } catch {
                // Not listening yet (refused) or not answering yet (timeout).
                if error == .refused { usleep(20_000) }
            }
        }
        return .timedOut
    }

    /// The exit status if the child has exited (and is now reaped), else nil.
    private func reapIfExited() -> Int32? {
        pid.withLock { pid -> Int32? in
            guard let child = pid else { return nil }
            var status: Int32 = 0
            guard waitpid(child, &status, WNOHANG) == child else { return nil }
            pid = nil
            ChildProcesses.stopped(child)
            return status
        }
    }

    private func stopProcess() {
        guard let child = pid.withLock({ pid -> pid_t? in defer { pid = nil }; return pid }) else { return }
        defer { ChildProcesses.stopped(child) }
        var status: Int32 = 0
        if waitpid(child, &status, WNOHANG) == child { return }
        kill(child, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let rc = waitpid(child, &status, WNOHANG)
            if rc == child || (rc < 0 && errno == ECHILD) { return }
            usleep(10_000)
        }
        kill(child, SIGKILL)
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    }

    private static func spawn(directory: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "\(directory)/unbound.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        // The test runner's threads may block or ignore signals; unbound must see SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = [executable, "-d", "-c", "\(directory)/unbound.conf"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, &argv, environ)
        guard rc == 0 else { throw FixtureError("posix_spawn \(executable): \(String(cString: strerror(rc)))") }
        ChildProcesses.started(child)
        return child
    }

    // MARK: - Configuration

    private static func configuration(directory: String, port: UInt16, zones: [Zone], extraConfig: String, threads: Int) throws -> String {
        // Never used (see the type's comment), but closed in any case.
        let closedPort = try Socket.freePort()
        // unbound has built-in local zones (test., RFC 1918/5737/3849 reverse zones, ...)
        // that answer before auth-zones; "nodefault" removes them for our names.
        let nodefault = Set(["test.", "in-addr.arpa.", "ip6.arpa.", "2.0.192.in-addr.arpa.",
                             "8.b.d.0.1.0.0.2.ip6.arpa."] + zones.map(\.origin))
        var lines = [
            "server:",
            "  username: \"\"",
            "  chroot: \"\"",
            "  directory: \"\(directory)\"",
            "  pidfile: \"\"",
            "  use-syslog: no",
            "  logfile: \"\"",
            "  do-daemonize: no",
            "  interface: 127.0.0.1",
            "  port: \(port)",
            "  do-ip6: no",
            "  access-control: 127.0.0.0/8 allow",
            "  so-rcvbuf: 8m",
            "  so-sndbuf: 8m",
            "  num-threads: \(threads)",
            "  outgoing-range: 4096",
            "  num-queries-per-thread: 2048",
            "  verbosity: 0",
            "  module-config: \"iterator\"",
            "  qname-minimisation: no",
        ]
        lines += nodefault.sorted().map { "  local-zone: \"\($0)\" nodefault" }
        lines.append(extraConfig)
        for (index, zone) in zones.enumerated() {
            lines += [
                "auth-zone:",
                "  name: \"\(zone.origin)\"",
                "  zonefile: \"\(directory)/zone\(index).zone\"",
                "  for-downstream: yes",
                "  for-upstream: yes",
                "  fallback-enabled: no",
            ]
        }
        lines += [
            "forward-zone:",
            "  name: \".\"",
            "  forward-addr: 127.0.0.1@\(closedPort)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

// MARK: - Files

public func writeFile(_ path: String, _ contents: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw FixtureError.fromErrno("open \(path)") }
    defer { close(fd) }
    let bytes = Array(contents.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        guard n > 0 else { throw FixtureError.fromErrno("write \(path)") }
        offset += n
    }
}

public func readWholeFile(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FixtureError.fromErrno("open \(path)") }
    defer { close(fd) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { break }
        result += buffer[0..<n]
    }
    return String(decoding: result, as: UTF8.self)
}

/// Removes a flat directory (the fixtures never create subdirectories).
func removeDirectory(_ path: String) {
    if let dir = opendir(path) {
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { unlink("\(path)/\(name)") }
        }
        closedir(dir)
    }
    rmdir(path)
}
