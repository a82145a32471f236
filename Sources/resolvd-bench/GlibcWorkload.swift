import ResolverTesting

#if canImport(Glibc)
import Glibc
#endif

/// glibc's asynchronous getaddrinfo (`getaddrinfo_a`, GAI_NOWAIT) in batches. glibc asks
/// the servers of /etc/resolv.conf on port 53 only, so this runs inside a private network
/// and mount namespace (see `glibcNamespaceChild`) where an unbound listens on
/// 127.0.0.1:53 and a private resolv.conf points at it.
///
/// A batch's end is signalled with a sigevent (SIGEV_SIGNAL, SIGUSR1, waited for with
/// sigtimedwait); while waiting, every 0.2 ms the requests still running are swept with
/// `gai_error` to time each one. Not `gai_suspend`: glibc 2.36's gai_suspend keeps its wait
/// records on its stack and can return while a worker thread that has already stored
/// `__return` (outside the lock) is about to walk them in `__gai_notify` — it crashed here
/// (SIGSEGV in gai_notify.c:112) with a few hundred requests per call.
///
/// The Glibc module does not import `getaddrinfo_a` (it needs _GNU_SOURCE), so the two
/// functions are looked up with dlsym and `struct gaicb` is laid out by hand.
struct GlibcAsyncWorkload {
    var batch: Int

    private typealias GetAddrInfoA = @convention(c) (Int32, UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias GaiError = @convention(c) (UnsafeMutableRawPointer) -> Int32

    // struct gaicb { const char *ar_name; const char *ar_service; const struct addrinfo
    // *ar_request; struct addrinfo *ar_result; int __return; int __glibc_reserved[5]; }
    private static let gaicbSize = 56
    private static let nameOffset = 0
    private static let requestOffset = 16
    private static let resultOffset = 24
    private static let noWait: Int32 = 1         // GAI_NOWAIT
    private static let inProgress: Int32 = -100  // EAI_INPROGRESS

    func run(names: [String]) throws -> RunResult {
        let library = dlopen("libanl.so.1", RTLD_NOW) ?? dlopen(nil, RTLD_NOW)
        guard let a = dlsym(library, "getaddrinfo_a"), let e = dlsym(library, "gai_error") else {
            throw BenchError("getaddrinfo_a not found in glibc")
        }
        let getaddrinfoA = unsafeBitCast(a, to: GetAddrInfoA.self)
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGUSR1)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        var event = sigevent()
        event.sigev_notify = Int32(SIGEV_SIGNAL)
        event.sigev_signo = SIGUSR1
        var sweepInterval = timespec(tv_sec: 0, tv_nsec: 200_000)
        let gaiError = unsafeBitCast(e, to: GaiError.self)

        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        let recorder = LatencyRecorder(count: names.count)
        // A fresh block per batch, all freed at the end: glibc's threads may still hold a
        // finished batch's pointers for a moment after its signal.
        var allBlocks: [UnsafeMutableRawPointer] = []
        defer { allBlocks.forEach { $0.deallocate() } }
        let cNames = names.map { strdup($0)! }
        defer { cNames.forEach { free($0) } }
        var list = [UnsafeMutableRawPointer?](repeating: nil, count: batch)
        var failures = 0
        var wrong = 0
        var firstFailure: String?
        let cpuBefore = processCPUNanoseconds()
        let begin = monotonicNanoseconds()
        try withUnsafePointer(to: &hints) { hintsPointer in
            var start = 0
            while start < names.count {
                let count = min(batch, names.count - start)
                let blocks = UnsafeMutableRawPointer.allocate(byteCount: Self.gaicbSize * count, alignment: 16)
                allBlocks.append(blocks)
                memset(blocks, 0, Self.gaicbSize * count)
                for slot in 0..<count {
                    let block = blocks + slot * Self.gaicbSize
                    block.storeBytes(of: UnsafePointer(cNames[start + slot]), toByteOffset: Self.nameOffset, as: UnsafePointer<CChar>.self)
                    block.storeBytes(of: hintsPointer, toByteOffset: Self.requestOffset, as: UnsafePointer<addrinfo>.self)
                    list[slot] = block
                }
                let now = monotonicNanoseconds()
                for slot in 0..<count { recorder.started[start + slot] = now }
                let rc = list.withUnsafeMutableBufferPointer { getaddrinfoA(Self.noWait, $0.baseAddress!, Int32(count), &event) }
                guard rc == 0 else { throw BenchError("getaddrinfo_a: \(String(cString: gai_strerror(rc)))") }
                // Wait for the batch's signal, sweeping what is still running meanwhile.
                var remaining = Array(0..<count)
                var signalled = false
                while !remaining.isEmpty || !signalled {
                    if !signalled { signalled = sigtimedwait(&signals, nil, &sweepInterval) == SIGUSR1 }
                    let now = monotonicNanoseconds()
                    remaining.removeAll { slot in
                        let block = list[slot]!
                        let status = gaiError(block)
                        if status == Self.inProgress { return false }
                        recorder.finished[start + slot] = now
                        let result = block.load(fromByteOffset: Self.resultOffset, as: UnsafeMutablePointer<addrinfo>?.self)
                        if status == 0 {
                            var addresses = 0
                            var node = result
                            while let entry = node {
                                addresses += 1
                                node = entry.pointee.ai_next
                            }
                            if addresses != 2 { wrong += 1 }
                        } else {
                            failures += 1
                            if firstFailure == nil { firstFailure = "\(names[start + slot]): \(String(cString: gai_strerror(status)))" }
                        }
                        if let result { freeaddrinfo(result) }
                        return true
                    }
                }
                start += count
            }
        }
        let wall = monotonicNanoseconds() - begin
        return RunResult(
            workload: "glibc getaddrinfo_a", names: names.count, wallNanoseconds: wall,
            cpuNanoseconds: processCPUNanoseconds() - cpuBefore, failures: failures, wrongAnswers: wrong, retried: 0,
            udpDrops: 0, latencies: recorder.sortedLatencies(), firstFailure: firstFailure)
    }
}

/// Runs `resolvd-bench glibc-netns …` under `unshare --net --mount --pid --fork` (the pid
/// namespace takes its unbound down with it, whatever happens) and reads back its one
/// result line.
func runGlibcInNamespace(prefix: String, count: Int, batch: Int, warmup: Int) throws -> RunResult {
    let arguments = ["unshare", "--net", "--mount", "--pid", "--fork", selfExecutable(), "glibc-netns",
                     "--prefix", prefix, "--names", "\(count)", "--batch", "\(batch)", "--warmup", "\(warmup)"]
    var output = ""
    let status = try runProgram(arguments, output: &output)
    guard status == 0, let line = output.split(separator: "\n").last(where: { $0.hasPrefix("GLIBC ") }) else {
        throw BenchError("\(arguments.joined(separator: " ")) failed (status \(status)):\n\(output)")
    }
    // GLIBC names wall_ns cpu_ns failures wrong p50_ns p99_ns [first failure]
    let fields = line.split(separator: " ", maxSplits: 8)
    guard fields.count >= 8, let names = Int(fields[1]), let wall = UInt64(fields[2]), let cpu = UInt64(fields[3]),
          let failures = Int(fields[4]), let wrong = Int(fields[5]), let p50 = UInt64(fields[6]), let p99 = UInt64(fields[7])
    else { throw BenchError("cannot read the glibc result: \(line)") }
    return RunResult(
        workload: "glibc getaddrinfo_a", names: names, wallNanoseconds: wall, cpuNanoseconds: cpu, failures: failures,
        wrongAnswers: wrong, retried: 0, udpDrops: 0, latencies: [],
        firstFailure: fields.count > 8 ? String(fields[8]) : nil, fixedPercentiles: (p50, p99))
}

func selfExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    return count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
}

/// Inside the private namespaces: lo up, unbound on 127.0.0.1:53, a private resolv.conf
/// (and nsswitch.conf with `hosts: dns`, as resolvd runs with `--hosts-file none`)
/// bind-mounted over /etc's, then the measured getaddrinfo_a run.
func glibcNamespaceChild(prefix: String, count: Int, batch: Int, warmup: Int) throws {
    var output = ""
    guard try runProgram(["ip", "link", "set", "lo", "up"], output: &output) == 0 else {
        throw BenchError("ip link set lo up: \(output)")
    }
    let unbound = try UnboundServer.start(zones: [.example], extraConfig: CoreBench.unboundCapacity, port: 53)
    defer { unbound.stop() }
    for (file, text) in [("resolv.conf", "nameserver 127.0.0.1\noptions timeout:2 attempts:2\n"), ("nsswitch.conf", "hosts: dns\n")] {
        let path = "\(unbound.directory)/\(file)"
        try writeText(path, text)
        guard try runProgram(["mount", "--bind", path, "/etc/\(file)"], output: &output) == 0 else {
            throw BenchError("mount --bind \(path) /etc/\(file): \(output)")
        }
    }
    let workload = GlibcAsyncWorkload(batch: batch)
    if warmup > 0 { _ = try workload.run(names: CoreBench.names(prefix: prefix + "w", count: warmup)) }
    let result = try workload.run(names: CoreBench.names(prefix: prefix, count: count))
    print("GLIBC \(result.names) \(result.wallNanoseconds) \(result.cpuNanoseconds) \(result.failures) \(result.wrongAnswers) "
        + "\(result.percentile(0.5)) \(result.percentile(0.99))" + (result.firstFailure.map { " \($0)" } ?? ""))
    fflush(nil)
}
