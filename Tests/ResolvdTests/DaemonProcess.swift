import NIOConcurrencyHelpers
import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real `resolvd` process on a temporary socket, for end-to-end tests.
final class DaemonProcess: Sendable {
    let pid: pid_t
    let socketPath: String
    let directory: String
    let configPath: String

    /// The resolvd binary built next to this test bundle.
    static var executable: String {
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

    /// Starts resolvd with `config` as its configuration file and waits until the socket answers.
    /// `upstream` nil leaves the upstream to the configuration file (flags win over the file).
    static func start(upstream: String?, config: String = "", extraArguments: [String] = []) throws -> DaemonProcess {
        var template = Array("/tmp/resolvd-e2e-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw FixtureError("mkdtemp failed") }
        let directory = String(cString: template)
        let socketPath = directory + "/resolvd.sock"
        let configPath = directory + "/resolvd.conf"
        try writeFile(configPath, config)
        let arguments = [executable, "--config", configPath, "--socket", socketPath, "--hosts-file", "none", "--log-level", "warning"]
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
        let status = posix_spawn(&pid, executable, &actions, nil, cArguments, environ)
        guard status == 0 else { throw FixtureError("cannot start \(executable): \(String(cString: strerror(status)))") }
        let process = DaemonProcess(pid: pid, socketPath: socketPath, directory: directory, configPath: configPath)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let client = try? LineClient(path: socketPath) {
                // Wait for an answer, so this probe is counted (and then uncounted) before
                // the test's own connections: `connections` in stats is then deterministic.
                _ = client.call(#"{"id":1,"op":"hello"}"#, id: 1)
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

    var log: String { (try? readWholeFile(directory + "/stderr.log")) ?? "" }

    func connect() throws -> LineClient { try LineClient(path: socketPath) }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to exit; its exit status, or nil on timeout.
    func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
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

    func stop() {
        kill(pid, SIGTERM)
        if waitForExit(timeout: .seconds(5)) == nil {
            kill(pid, SIGKILL)
            _ = waitForExit()
        }
    }

    deinit {
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
    }
}

func writeFile(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "w") else { throw FixtureError("cannot write \(path)") }
    fputs(text, file)
    fclose(file)
}

func readWholeFile(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw FixtureError("cannot read \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        bytes += chunk[0..<count]
        if count < chunk.count { break }
    }
    return String(decoding: bytes, as: UTF8.self)
}
