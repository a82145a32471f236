import CAres

#if canImport(Glibc)
import Glibc
#endif

/// Workload B, the reference point: a plain single-channel c-ares loop, the way a C
/// program drives c-ares — one `ares_channel` on one thread, `ares_getsock` + `poll()` +
/// `ares_process_fd`, `ares_timeout` for the poll timeout, default socket buffers,
/// `ares_getaddrinfo` with AF_UNSPEC and NOSORT. Each callback starts the next lookup.
struct AresLoopWorkload {
    var server: (host: String, port: UInt16)
    var timeoutMilliseconds: Int32
    var tries: Int32
    /// ARES_OPT_SOCK_RCVBUF; 0 leaves the kernel default (the plain loop).
    var receiveBufferBytes: Int32 = 0

    func run(names: [String], inFlight: Int) throws -> RunResult {
        precondition(ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS)
        let channel = try makeChannel()
        defer { ares_destroy(channel) }
        let state = AresRunState(names: names, channel: channel)
        let dropsBefore = udpReceiveBufferErrors()
        let cpuBefore = processCPUNanoseconds()
        let begin = monotonicNanoseconds()
        for _ in 0..<min(inFlight, names.count) { state.startNext() }
        drive(channel, until: { state.completed == names.count })
        let wall = monotonicNanoseconds() - begin
        let cpu = processCPUNanoseconds() - cpuBefore
        let drops = udpReceiveBufferErrors() - dropsBefore
        return RunResult(
            workload: "c-ares loop", names: names.count, wallNanoseconds: wall, cpuNanoseconds: cpu,
            failures: state.failures, wrongAnswers: state.wrongAnswers, retried: state.retried,
            udpDrops: drops, latencies: state.recorder.sortedLatencies(), firstFailure: state.firstFailure)
    }

    /// The classic loop: ask c-ares for its sockets, poll them until its next timeout,
    /// hand each ready one to `ares_process_fd` (or none, for timeouts).
    private func drive(_ channel: ares_channel, until finished: () -> Bool) {
        let maximum = Int(ARES_GETSOCK_MAXNUM)
        var sockets = [ares_socket_t](repeating: ARES_SOCKET_BAD, count: maximum)
        var polls = [pollfd](repeating: pollfd(), count: maximum)
        while !finished() {
            let bits = Int(ares_getsock(channel, &sockets, Int32(maximum)))
            var count = 0
            for slot in 0..<maximum {
                let readable = bits & (1 << slot) != 0
                let writable = bits & (1 << (slot + maximum)) != 0
                guard readable || writable else { continue }
                polls[count] = pollfd(fd: sockets[slot], events: Int16((readable ? POLLIN : 0) | (writable ? POLLOUT : 0)), revents: 0)
                count += 1
            }
            var buffer = timeval()
            var waitMilliseconds: Int32 = -1
            if let next = ares_timeout(channel, nil, &buffer) {
                waitMilliseconds = Int32(next.pointee.tv_sec * 1000 + (next.pointee.tv_usec + 999) / 1000)
            }
            let ready = poll(&polls, nfds_t(count), waitMilliseconds)
            if ready <= 0 {
                ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)  // timeouts and retries
                continue
            }
            for slot in 0..<count where polls[slot].revents != 0 {
                let events = polls[slot].revents
                let readable = events & Int16(POLLIN | POLLERR | POLLHUP) != 0
                let writable = events & Int16(POLLOUT) != 0
                ares_process_fd(channel, readable ? polls[slot].fd : ARES_SOCKET_BAD, writable ? polls[slot].fd : ARES_SOCKET_BAD)
            }
        }
    }

    private func makeChannel() throws -> ares_channel {
        var options = ares_options()
        options.flags = ARES_FLAG_NOCHECKRESP  // as ResolverCore with one upstream
        options.timeout = timeoutMilliseconds
        options.tries = tries
        options.ndots = 1
        var mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS | ARES_OPT_LOOKUPS
        if receiveBufferBytes > 0 {
            options.socket_receive_buffer_size = receiveBufferBytes
            mask |= ARES_OPT_SOCK_RCVBUF
        }
        var channel: ares_channel?
        let status: Int32 = "b".withCString { lookups in
            options.lookups = UnsafeMutablePointer(mutating: lookups)
            return ares_init_options(&channel, &options, mask)
        }
        guard status == ARES_SUCCESS, let channel else { throw BenchError("ares_init_options: \(String(cString: ares_strerror(status)))") }
        var node = ares_addr_port_node()
        node.family = AF_INET
        node.udp_port = Int32(server.port)
        node.tcp_port = Int32(server.port)
        guard inet_pton(AF_INET, server.host, &node.addr.addr4) == 1 else {
            ares_destroy(channel)
            throw BenchError("\(server.host) is not an IPv4 address")
        }
        let serversStatus = ares_set_servers_ports(channel, &node)
        guard serversStatus == ARES_SUCCESS else {
            ares_destroy(channel)
            throw BenchError("ares_set_servers_ports: \(String(cString: ares_strerror(serversStatus)))")
        }
        return channel
    }
}

/// One run's bookkeeping; everything happens on the loop's one thread.
private final class AresRunState {
    let names: [String]
    let channel: ares_channel
    let recorder: LatencyRecorder
    /// `void *arg` of lookup i: this state and i.
    let slots: UnsafeMutableBufferPointer<Slot>
    var next = 0
    var completed = 0
    var failures = 0
    var wrongAnswers = 0
    var retried = 0
    var firstFailure: String?

    struct Slot {
        var state: Unmanaged<AresRunState>
        var index: Int
    }

    init(names: [String], channel: ares_channel) {
        self.names = names
        self.channel = channel
        self.recorder = LatencyRecorder(count: names.count)
        self.slots = .allocate(capacity: names.count)
    }

    deinit { slots.deallocate() }

    func startNext() {
        guard next < names.count else { return }
        let index = next
        next += 1
        slots.baseAddress!.advanced(by: index).initialize(to: Slot(state: Unmanaged.passUnretained(self), index: index))
        var hints = ares_addrinfo_hints()
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = ARES_AI_NOSORT
        recorder.started[index] = monotonicNanoseconds()
        ares_getaddrinfo(channel, names[index], nil, &hints, { argument, status, timeouts, result in
            let slot = argument!.assumingMemoryBound(to: AresRunState.Slot.self).pointee
            slot.state.takeUnretainedValue().finished(slot.index, status: status, timeouts: timeouts, result: result)
            if let result { ares_freeaddrinfo(result) }
        }, slots.baseAddress!.advanced(by: index))
    }

    private func finished(_ index: Int, status: Int32, timeouts: Int32, result: UnsafeMutablePointer<ares_addrinfo>?) {
        recorder.finished[index] = monotonicNanoseconds()
        completed += 1
        if timeouts > 0 { retried += 1 }
        if status == ARES_SUCCESS, let result {
            var addresses = 0
            var node = result.pointee.nodes
            while let entry = node {
                if entry.pointee.ai_addr != nil { addresses += 1 }
                node = entry.pointee.ai_next
            }
            if addresses != 2 { wrongAnswers += 1 }
        } else if status != ARES_EDESTRUCTION {
            failures += 1
            if firstFailure == nil { firstFailure = "\(names[index]): \(String(cString: ares_strerror(status)))" }
        }
        startNext()
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
