
#if canImport(Glibc)
import Glibc
#endif

/// A real `resolvd` process on a temporary socket, for end-to-end tests.
public final class DaemonProcess: Sendable {
    public let pid: pid_t
    public let socketPath: String
    public let directory: String
    public let configPath: String

    /// The resolvd binary built next to this test bundle.
    public static var executable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        var directory = exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)]
        // swift test may run the bundle from inside `X.xctest/`; walk up to the build directory.
        while directory.hasSuffix(".xctest") || directory.contains(".xctest/") {
            directory = directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)]
        }
        return "\(directory)/resolvd"
    }

    /// The arguments that keep the host out of a test daemon: no hosts file, no search list,
    /// ndots 1, and the test's own per-try timeout and tries — never what this machine's
    /// /etc/resolv.conf says. `nil` leaves that setting to the test's configuration file (the
    /// reload tests change it there; flags would win over the file).
    public static func hermeticArguments(timeoutMilliseconds: Int? = 2_000, tries: Int? = 2) -> [String] {
        ["--hosts-file", "none", "--search", "none", "--ndots", "1"]
            + (timeoutMilliseconds.map { ["--timeout-ms", String($0)] } ?? [])
            + (tries.map { ["--tries", String($0)] } ?? [])
    }

    /// Writes the test databases (``HermeticDatabases``) into `directory` and returns the configuration lines that
    /// name them. They open every test daemon's configuration file, so a test's own
    /// `services_file` or `protocols_file` line (later in the file) wins.
    public static func databaseConfiguration(in directory: String) throws -> String {
        let paths = try HermeticDatabases.write(in: directory)
        return "services_file = \(paths.services)\nprotocols_file = \(paths.protocols)\n"
    }

    /// Replaces the configuration file (for reload tests), keeping the test databases.
    public func rewriteConfig(_ text: String) throws {
        try writeFile(configPath, Self.databaseConfiguration(in: directory) + text)
    }

    /// Starts resolvd with `config` (and nothing else: no file of the host's) as its
    /// configuration file and waits until the socket answers. `upstream` nil leaves the
    /// upstream to the configuration file (flags win over the file).
    public static func start(
        upstream: String?, config: String = "", timeoutMilliseconds: Int? = 2_000, tries: Int? = 2,
        extraArguments: [String] = [], threadStackBytes: Int? = nil
    ) throws -> DaemonProcess {
        var template = Array("/tmp/resolvd-e2e-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw FixtureError("mkdtemp failed") }
        let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let socketPath = directory + "/resolvd.sock"
        let configPath = directory + "/resolvd.conf"
        try writeFile(configPath, databaseConfiguration(in: directory) + config)
        // A small RLIMIT_STACK is every thread's stack size under glibc (prlimit execs the
        // daemon, so the pid is the daemon's): what recursion is left then shows as a crash.
        let launcher = threadStackBytes.map { ["/usr/bin/prlimit", "--stack=\($0):\($0)"] } ?? []
        let arguments = launcher + [executable, "--config", configPath, "--socket", socketPath, "--log-level", "warning"]
            + hermeticArguments(timeoutMilliseconds: timeoutMilliseconds, tries: tries)
            + (upstream.map { ["--dns", $0] } ?? []) + extraArguments
        let logPath = directory + "/stderr.log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 2, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let status = posix_spawn(&pid, arguments[0], &actions, nil, cArguments, environ)
        guard status == 0 else { throw FixtureError("cannot start \(executable): \(String(cString: strerror(status)))") }
        let process = DaemonProcess(pid: pid, socketPath: socketPath, directory: directory, configPath: configPath)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            // Ready means answering, not just accepting: a probe that is still in the
            // listen backlog would be counted later, behind the test's own connections.
            if let client = try? LineClient(path: socketPath), client.call(#"{"id":1,"op":"hello"}"#, id: 1)?["status"] != nil {
                client.close()
                return process
            }
            var exitStatus: Int32 = 0
            if waitpid(pid, &exitStatus, WNOHANG) == pid {
                throw FixtureError("resolvd exited at start: \(process.log)")
            }
            usleep(20_000)
        }
        process.stop()
        throw FixtureError("resolvd did not answer on \(socketPath): \(process.log)")
    }

    private init(pid: pid_t, socketPath: String, directory: String, configPath: String) {
        self.pid = pid
        self.socketPath = socketPath
        self.directory = directory
        self.configPath = configPath
    }

    /// The Varlink socket it listens on by default: io.systemd.Resolve beside `socketPath`.
    public var varlinkSocketPath: String { directory + "/io.systemd.Resolve" }

    public var log: String { (try? readWholeFile(directory + "/stderr.log")) ?? "" }

    /// The port `metrics_listen` bound, from the start-up line resolvd prints whatever the log
    /// level (`resolvd: serving metrics on http://HOST:PORT/metrics`) — the kernel's choice
    /// when the configuration says port 0. Waits for the line (it comes right after the
    /// sockets accept connections); throws if it does not come.
    public func metricsPort(timeout: Duration = .seconds(10)) throws -> Int {
        let prefix = "resolvd: serving metrics on http://"
        let deadline = ContinuousClock.now + timeout
        repeat {
            if let line = log.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
                let url = line.dropFirst(prefix.count).split(separator: "/").first,
                let colon = url.lastIndex(of: ":"), let port = Int(url[url.index(after: colon)...])
            {
                return port
            }
            usleep(10_000)
        } while ContinuousClock.now < deadline
        throw FixtureError("resolvd printed no metrics address: \(log)")
    }

    public func connect() throws -> LineClient { try LineClient(path: socketPath) }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to exit; its exit status, or nil on timeout.
    public func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
            usleep(10_000)
        }
        return nil
    }

    /// Stops the daemon (SIGTERM, then SIGKILL after 5 s) and removes its directory. A daemon
    /// that had already exited on its own — a crash in the middle of a test — is reported on
    /// stderr with its exit status and everything it printed, before the log goes with the
    /// directory: the test's own failures then say what happened.
    public func stop() {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            let report = "resolvd exited before stop (wait status \(status)); its stderr:\n\(log)\n"
            _ = report.withCString { write(2, $0, strlen($0)) }
        }
        kill(pid, SIGTERM)
        if waitForExit(timeout: .seconds(5)) == nil {
            kill(pid, SIGKILL)
            _ = waitForExit()
        }
        removeDirectory()
    }

    private func removeDirectory() {
        for file in ["resolvd.sock", "io.systemd.Resolve", "resolvd.conf", "stderr.log", "bad.conf", "services", "protocols"] { unlink(directory + "/" + file) }
        rmdir(directory)
    }

    deinit {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
    }
}
