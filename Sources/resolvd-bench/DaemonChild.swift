import ResolverTesting

#if canImport(Glibc)
import Glibc
#endif

/// The real `resolvd` binary (by default the one built next to this benchmark, so a release
/// build under `make bench`; `make bench-baseline` also starts an earlier commit's) as a
/// child process on a temporary socket, started the way the end-to-end tests'
/// DaemonProcess does: `--config <temp> --socket <temp> --hosts-file none`.
final class DaemonChild {
    let pid: pid_t
    let directory: String
    var socketPath: String { directory + "/resolvd.sock" }

    /// `resolvd` in the directory of this executable.
    static var executable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        return String(exe[..<(exe.lastIndex(of: "/") ?? exe.startIndex)]) + "/resolvd"
    }

    init(upstream: String, config: String, executable: String = DaemonChild.executable) throws {
        guard access(executable, X_OK) == 0 else {
            throw BenchError("\(executable) not found: build it first (swift build -c release)")
        }
        var template = Array("/tmp/resolvd-bench-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw BenchError("mkdtemp failed") }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        try writeText(directory + "/resolvd.conf", config)
        let arguments = [executable, "--config", directory + "/resolvd.conf", "--socket", directory + "/resolvd.sock",
                         "--hosts-file", "none", "--search", "none", "--ndots", "1", "--log-level", "warning", "--dns", upstream]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/stderr.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var child: pid_t = 0
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let status = posix_spawn(&child, executable, &actions, nil, cArguments, environ)
        guard status == 0 else { throw BenchError("cannot start \(executable): \(String(cString: strerror(status)))") }
        pid = child
        let deadline = monotonicNanoseconds() + 20_000_000_000
        while monotonicNanoseconds() < deadline {
            if let client = try? PipelinedClient(path: socketPath), (try? client.call(#"{"id":1,"op":"hello"}"#, id: 1)) != nil {
                return
            }
            var exitStatus: Int32 = 0
            if waitpid(pid, &exitStatus, WNOHANG) == pid { throw BenchError("resolvd exited at start: \(log)") }
            usleep(20_000)
        }
        stop()
        throw BenchError("resolvd did not answer on \(socketPath): \(log)")
    }

    var log: String { (try? readText(directory + "/stderr.log")) ?? "" }

    /// VmRSS of the daemon in bytes, from /proc/<pid>/status.
    func residentBytes() -> Int {
        guard let text = try? readText("/proc/\(pid)/status") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.dropFirst(6).filter { $0 >= "0" && $0 <= "9" }
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }

    /// CPU time (user + system) the daemon has used, in nanoseconds.
    func cpuNanoseconds() -> UInt64 {
        guard let line = try? readText("/proc/\(pid)/stat"), let close = line.lastIndex(of: ")") else { return 0 }
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return 0 }
        return (user + system) * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<500 {
            if waitpid(pid, &status, WNOHANG) == pid { return cleanUp() }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        cleanUp()
    }

    private func cleanUp() {
        for name in ["resolvd.conf", "stderr.log", "resolvd.sock"] { unlink(directory + "/" + name) }
        rmdir(directory)
    }
}

func writeText(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path)") }
    fputs(text, file)
    fclose(file)
}

func readText(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw BenchError("cannot read \(path)") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = read(fd, &chunk, chunk.count)
        guard count > 0 else { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// The path of `program` on PATH (or the sbin directories), or nil.
func findProgram(_ program: String) -> String? {
    let path = (getenv("PATH").map { String(cString: $0) } ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(program)"
        if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
}

/// Runs a program to its end with stdout and stderr in one string; its exit status.
func runProgram(_ arguments: [String], output: inout String) throws -> Int32 {
    var template = Array("/tmp/resolvd-bench-out-XXXXXX".utf8CString)
    let outFD = mkstemp(&template)
    guard outFD >= 0 else { throw BenchError("mkstemp failed") }
    let outPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    defer { close(outFD); unlink(outPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, outFD, 1)
    posix_spawn_file_actions_adddup2(&actions, outFD, 2)
    var child: pid_t = 0
    let cArguments = arguments.map { strdup($0) } + [nil]
    defer { cArguments.forEach { free($0) } }
    let rc = posix_spawnp(&child, arguments[0], &actions, nil, cArguments, environ)
    guard rc == 0 else { throw BenchError("cannot run \(arguments[0]): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    output = (try? readText(outPath)) ?? ""
    return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
}
