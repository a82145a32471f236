import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// CLOCK_MONOTONIC in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// CPU time (user + system) this process has used, in nanoseconds — every thread.
func processCPUNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The kernel's count of UDP datagrams dropped because a receive buffer was full
/// (`Udp: RcvbufErrors` in /proc/net/snmp), for the whole machine: the client's sockets
/// and unbound's alike. 0 when the file cannot be read.
func udpReceiveBufferErrors() -> UInt64 {
    guard let file = fopen("/proc/net/snmp", "r") else { return 0 }
    defer { fclose(file) }
    var lines: [[Substring]] = []
    var buffer = [CChar](repeating: 0, count: 4096)
    while fgets(&buffer, Int32(buffer.count), file) != nil {
        let line = cString(buffer)
        if line.hasPrefix("Udp:") { lines.append(line.split(whereSeparator: { $0 == " " || $0 == "\n" })) }
    }
    // Two "Udp:" lines: the field names, then the values.
    guard lines.count >= 2, let column = lines[0].firstIndex(of: "RcvbufErrors"), column < lines[1].count else { return 0 }
    return UInt64(lines[1][column]) ?? 0
}

/// Per-lookup start and finish times, written by whichever thread starts or finishes
/// lookup `i` (each slot by exactly one thread) and read after the run is over.
final class LatencyRecorder: @unchecked Sendable {
    // Safe: slot i is written once before lookup i starts and once when it finishes, by
    // one thread each; the reader waits for the run's end (a semaphore) before reading.
    let started: UnsafeMutableBufferPointer<UInt64>
    let finished: UnsafeMutableBufferPointer<UInt64>

    init(count: Int) {
        started = .allocate(capacity: count)
        started.initialize(repeating: 0)
        finished = .allocate(capacity: count)
        finished.initialize(repeating: 0)
    }

    deinit {
        started.deallocate()
        finished.deallocate()
    }

    /// Latencies in nanoseconds, sorted ascending (only lookups that finished).
    func sortedLatencies() -> [UInt64] {
        var result: [UInt64] = []
        result.reserveCapacity(started.count)
        for index in started.indices where finished[index] >= started[index] && finished[index] != 0 {
            result.append(finished[index] - started[index])
        }
        result.sort()
        return result
    }
}

/// What one run of one workload measured.
struct RunResult {
    var workload: String
    var names: Int
    var wallNanoseconds: UInt64
    var cpuNanoseconds: UInt64
    var failures: Int
    /// Lookups that answered, but with an unexpected number of addresses.
    var wrongAnswers: Int
    /// Lookups that needed a retry: c-ares' own count where it reports one, else lookups
    /// slower than half a per-try timeout (no lookup is, unless a reply was lost).
    var retried: Int
    var udpDrops: UInt64
    /// CPU the unbound fixture used during the run (filled in by the caller).
    var upstreamCPUNanoseconds: UInt64 = 0
    /// CPU the resolvd child used during the run (daemon workloads only).
    var daemonCPUNanoseconds: UInt64 = 0
    var latencies: [UInt64]
    var firstFailure: String?
    /// p50 and p99 measured elsewhere (another process), when `latencies` is not at hand.
    var fixedPercentiles: (UInt64, UInt64)? = nil

    var lookupsPerSecond: Double { Double(names) / (Double(wallNanoseconds) / 1e9) }
    var cpuMicrosecondsPerLookup: Double { Double(cpuNanoseconds) / 1e3 / Double(names) }
    /// Share of one core the unbound fixture used during the run.
    var upstreamCores: Double { Double(upstreamCPUNanoseconds) / Double(wallNanoseconds) }
    /// Share of one core this process used during the run.
    var clientCores: Double { Double(cpuNanoseconds) / Double(wallNanoseconds) }

    func percentile(_ fraction: Double) -> UInt64 {
        if let fixedPercentiles { return fraction <= 0.5 ? fixedPercentiles.0 : fixedPercentiles.1 }
        guard !latencies.isEmpty else { return 0 }
        let rank = Int((fraction * Double(latencies.count)).rounded(.up)) - 1
        return latencies[min(max(rank, 0), latencies.count - 1)]
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// CPU time (user + system) used so far by this process's child called `command`
/// (the unbound fixture), in nanoseconds, from /proc/PID/stat; 0 when not found.
func childCPUNanoseconds(command: String) -> UInt64 {
    guard let directory = opendir("/proc") else { return 0 }
    defer { closedir(directory) }
    let me = getpid()
    let ticksPerSecond = UInt64(sysconf(Int32(_SC_CLK_TCK)))
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        guard let pid = Int32(name), let file = fopen("/proc/\(pid)/stat", "r") else { continue }
        var buffer = [CChar](repeating: 0, count: 1024)
        let line = fgets(&buffer, Int32(buffer.count), file) != nil ? cString(buffer) : ""
        fclose(file)
        // "pid (comm) state ppid ... utime stime ..." — fields after the ')' from state on.
        guard let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")") else { continue }
        guard line[line.index(after: open)..<close] == command else { continue }
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 13, Int32(fields[1]) == me, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { continue }
        return (user + system) * 1_000_000_000 / ticksPerSecond
    }
    return 0
}

/// The NUL-terminated string at the start of `buffer`.
func cString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
