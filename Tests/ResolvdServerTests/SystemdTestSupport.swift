import NIOConcurrencyHelpers
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the systemd tests: PID 1 here is not systemd, so these drive systemd's own
/// tools (systemd-analyze, systemd-socket-activate) and play the service manager's part
/// (a notify socket) themselves.
enum SystemdTestSupport {
    /// The repository root (for systemd/, config/ and the Makefile).
    static var repositoryRoot: String { Repository.root }

    /// The directory holding the built resolvd and resolvdctl.
    static var binaryDirectory: String {
        let executable = DaemonProcess.executable
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    }

    /// The absolute path of `tool`, or an error naming the Debian package that provides it.
    static func require(_ tool: String, package: String) throws -> String {
        for directory in ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"] {
            let path = "\(directory)/\(tool)"
            if access(path, X_OK) == 0 { return path }
        }
        throw FixtureError("\(tool) is not installed: apt-get install \(package)")
    }

    static func makeTemporaryDirectory(mode: mode_t = 0o700) throws -> String {
        var template = Array("/tmp/resolvd-systemd-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw FixtureError("mkdtemp failed") }
        let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        chmod(directory, mode)
        return directory
    }

    static func removeTree(_ path: String) {
        let remover = try? SpawnedProcess(arguments: ["/bin/rm", "-rf", path], stdout: "/dev/null", stderr: "/dev/null")
        _ = remover?.waitForExit()
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion (killed after `timeout`); stdin from `input`.
    static func run(_ arguments: [String], environment: [String]? = nil, input: String = "", timeout: Duration = .seconds(120)) throws -> Output {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        try writeFile(directory + "/stdin", input)
        let process = try SpawnedProcess(
            arguments: arguments, environment: environment, stdin: directory + "/stdin", stdout: directory + "/stdout",
            stderr: directory + "/stderr")
        guard let status = process.waitForExit(timeout: timeout) else {
            process.kill()
            throw FixtureError("\(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        return Output(
            status: status, stdout: (try? readWholeFile(directory + "/stdout")) ?? "",
            stderr: (try? readWholeFile(directory + "/stderr")) ?? "")
    }

    /// The current environment plus `extra` (which wins), as `KEY=VALUE` strings.
    static func environment(adding extra: [String: String], removing: [String] = []) -> [String] {
        var result: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            let key = String(text.prefix(while: { $0 != "=" }))
            if extra[key] == nil && !removing.contains(key) { result.append(text) }
            cursor += 1
        }
        return result + extra.map { "\($0.key)=\($0.value)" }
    }
}

/// A child process with its output in files; killed on deinit if still running.
final class SpawnedProcess: Sendable {
    let pid: pid_t
    private let exitStatus = NIOLockedValueBox<Int32?>(nil)

    init(arguments: [String], environment: [String]? = nil, stdin: String = "/dev/null", stdout: String, stderr: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var pid: pid_t = 0
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let status: Int32
        if let environment {
            let cEnvironment = environment.map { strdup($0) } + [nil]
            defer { cEnvironment.forEach { free($0) } }
            status = posix_spawn(&pid, arguments[0], &actions, nil, cArguments, cEnvironment)
        } else {
            status = posix_spawn(&pid, arguments[0], &actions, nil, cArguments, environ)
        }
        guard status == 0 else { throw FixtureError("cannot start \(arguments[0]): \(String(cString: strerror(status)))") }
        self.pid = pid
    }

    /// The exit status (128+signal when killed), or nil if it is still running after `timeout`.
    func waitForExit(timeout: Duration = .seconds(10)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if let known = exitStatus.withLockedValue({ $0 }) { return known }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                exitStatus.withLockedValue { $0 = code }
                return code
            }
            usleep(10_000)
        } while ContinuousClock.now < deadline
        return nil
    }

    var isRunning: Bool { waitForExit(timeout: .zero) == nil }

    func signal(_ signal: Int32) { Glibc.kill(pid, signal) }

    func kill() {
        Glibc.kill(pid, SIGKILL)
        _ = waitForExit()
    }

    /// SIGTERM, then SIGKILL after 5 s.
    func stop() {
        signal(SIGTERM)
        if waitForExit(timeout: .seconds(5)) == nil { kill() }
    }

    deinit {
        if exitStatus.withLockedValue({ $0 }) == nil {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == 0 {
                Glibc.kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
            }
        }
    }
}

/// Plays systemd's side of sd_notify: a datagram socket that records every message with
/// the time it arrived.
final class NotifyListener: Sendable {
    let path: String
    private let fd: Int32

    struct Message: Sendable {
        var text: String
        var at: ContinuousClock.Instant
        var fields: [String: String] {
            var result: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                result[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return result
        }
    }

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket failed") }
        let result = UnixSocketAddress.with(path) { Glibc.bind(fd, $0, $1) }
        guard result == 0 else { throw FixtureError("bind \(path): \(String(cString: strerror(errno)))") }
    }

    deinit {
        Glibc.close(fd)
        unlink(path)
    }

    /// The next message, or nil after `timeout`.
    func next(timeout: Duration = .seconds(10)) -> Message? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard poll(&poller, 1, max(0, milliseconds)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Message(text: String(decoding: buffer[0..<count], as: UTF8.self), at: .now)
    }

    /// Reads messages until one has `key` (with `value`, if given); that one, and every
    /// message read on the way (including it).
    func waitFor(_ key: String, value: String? = nil, timeout: Duration = .seconds(10)) -> (match: Message?, seen: [Message]) {
        let deadline = ContinuousClock.now + timeout
        var seen: [Message] = []
        while ContinuousClock.now < deadline, let message = next(timeout: deadline - .now) {
            seen.append(message)
            if let found = message.fields[key], value == nil || found == value { return (message, seen) }
        }
        return (nil, seen)
    }
}
