import ResolvdProtocol
import ResolverCore
import ResolverTesting
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The benchmark's own protocol v1 client, built to cost the daemon's measurements as
/// little as possible: a plain blocking Unix socket, one writer thread that packs request
/// lines into large `write()` calls while keeping a fixed number of items outstanding, and
/// one reader (the calling thread) that splits reply lines and picks out `"id"` and
/// `"status"` by scanning bytes — no JSON parser, no Foundation.
///
/// An item is `requestsPerItem` consecutive requests (a lookup, or a lookup and its
/// cancel); it is finished when every one of them has its reply. Its latency runs from the
/// `write()` that carried its first request to the `read()` that brought its last reply.
final class PipelinedClient {
    let fd: Int32
    /// The next request id on this connection (ids must increase).
    private(set) var nextID: Int64 = 1
    private var pending: [UInt8] = []

    init(path: String) throws {
        // Connected before `self` is whole, so a failed connect never reaches deinit's close.
        fd = try UnixSocketAddress.connectedStreamSocket(path)
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    // MARK: - Simple calls (set-up, stats, cancel latency)

    /// Writes all of `bytes`; false when the daemon went away.
    @discardableResult
    func writeAll(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    func send(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        bytes.withUnsafeBytes { _ = writeAll($0) }
    }

    /// Takes the next id.
    func takeID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    /// Reserves `count` consecutive ids; the first.
    func takeIDs(_ count: Int) -> Int64 {
        defer { nextID += Int64(count) }
        return nextID
    }

    /// The next reply line (without its newline), or nil on EOF / timeout.
    func readLine(timeoutMilliseconds: Int32 = 30_000) -> [UInt8]? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { return nil }
            pending += buffer[0..<count]
        }
    }

    /// Sends a request (its id must be `id`) and returns the reply with that id.
    func call(_ line: String, id: Int64) throws -> [UInt8] {
        send(line)
        while let reply = readLine() {
            if ReplyScan.integer(after: ReplyScan.idKey, in: reply) == id { return reply }
        }
        throw BenchError("no reply to \(line)")
    }

    /// `stats` → the integer `key` of its result.
    func stat(_ key: String) throws -> Int64 {
        let id = takeID()
        let reply = try call(String(decoding: Request(id: id, command: .stats).lineBytes, as: UTF8.self), id: id)
        guard let value = ReplyScan.integer(after: Array("\"\(key)\":".utf8), in: reply) else {
            throw BenchError("stats has no \(key): \(String(decoding: reply, as: UTF8.self))")
        }
        return value
    }

    // MARK: - Pipelined runs

    struct Outcome {
        var items: Int
        var wallNanoseconds: UInt64
        /// Items whose replies had another status than expected (or a reply that was not one).
        var failures: Int
        /// Lookups answered 0 but without exactly `expectedAddresses` addresses.
        var wrongAnswers: Int
        var latencies: [UInt64]
        var firstFailure: String?
    }

    /// Sends `items` items, keeping `window` outstanding. `encode(item, firstID, &out)`
    /// appends the item's request lines (ids firstID, firstID+1, …). `expectedStatus[j]` is
    /// the status reply j of an item must have; a 0 reply carrying `"address"` keys must
    /// have `expectedAddresses` of them (0: not checked).
    func run(
        items: Int, window: Int, requestsPerItem: Int, expectedStatus: [ResultCode], expectedAddresses: Int,
        encode: @escaping (Int, Int64, inout [UInt8]) -> Void
    ) throws -> Outcome {
        precondition(expectedStatus.count == requestsPerItem)
        let baseID = takeIDs(items * requestsPerItem)
        let recorder = LatencyRecorder(count: items)
        let gate = WindowGate()
        // The writer runs on its own thread; `encode` is used only there until it is joined.
        let encodeBox = UncheckedBox(encode)
        let fd = self.fd
        let writer = try JoinableThread {
            var batch: [UInt8] = []
            batch.reserveCapacity(window * 128 * requestsPerItem)
            var sent = 0
            while sent < items {
                let free = gate.waitForRoom(sent: sent, window: window)
                guard free > 0 else { return }  // the reader gave up
                let count = min(free, items - sent)
                batch.removeAll(keepingCapacity: true)
                for item in sent..<(sent + count) {
                    encodeBox.value(item, baseID + Int64(item * requestsPerItem), &batch)
                }
                let now = monotonicNanoseconds()
                for item in sent..<(sent + count) { recorder.started[item] = now }
                let ok = batch.withUnsafeBytes { raw -> Bool in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                        if n < 0 && errno == EINTR { continue }
                        guard n > 0 else { return false }
                        offset += n
                    }
                    return true
                }
                guard ok else { return }
                sent += count
            }
        }

        var replies = [UInt8](repeating: 0, count: items)
        var completed = 0
        var failures = 0
        var wrongAnswers = 0
        var firstFailure: String?
        let begin = monotonicNanoseconds()
        let capacity = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        // Leftovers of the set-up calls come first.
        var filled = pending.count
        pending.withUnsafeBytes { buffer.copyMemory(from: $0) }
        pending.removeAll()
        var readError: String?
        outer: while completed < items {
            var scanned = 0
            var finishedNow = 0
            let now = monotonicNanoseconds()
            while let newline = memchr(buffer.baseAddress! + scanned, 0x0a, filled - scanned) {
                let end = buffer.baseAddress!.distance(to: newline)
                let line = UnsafeRawBufferPointer(rebasing: buffer[scanned..<end])
                scanned = end + 1
                guard let id = ReplyScan.integer(after: ReplyScan.idKey, in: line), id >= baseID,
                      id < baseID + Int64(items * requestsPerItem)
                else {
                    failures += 1
                    if firstFailure == nil { firstFailure = "unexpected reply: \(String(decoding: line, as: UTF8.self))" }
                    continue
                }
                let offset = Int(id - baseID)
                let item = offset / requestsPerItem
                let status = ReplyScan.integer(after: ReplyScan.statusKey, in: line)
                if status != Int64(expectedStatus[offset % requestsPerItem].rawValue) {
                    failures += 1
                    if firstFailure == nil { firstFailure = String(decoding: line, as: UTF8.self) }
                } else if status == 0, expectedAddresses > 0, ReplyScan.find(ReplyScan.addressesKey, in: line, from: 0) != nil,
                          ReplyScan.count(ReplyScan.addressKey, in: line) != expectedAddresses {
                    wrongAnswers += 1
                }
                replies[item] += 1
                if Int(replies[item]) == requestsPerItem {
                    recorder.finished[item] = now
                    finishedNow += 1
                }
            }
            if finishedNow > 0 {
                completed += finishedNow
                gate.add(finishedNow)
            }
            // Keep the partial line at the front.
            if scanned > 0 {
                let rest = filled - scanned
                if rest > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + scanned, rest) }
                filled = rest
            }
            if completed == items { break }
            if filled == capacity { readError = "reply line longer than \(capacity) bytes"; break }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 120_000)
            guard ready > 0 else { readError = "no reply for 120 s (\(completed)/\(items) finished)"; break outer }
            let n = read(fd, buffer.baseAddress! + filled, capacity - filled)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { readError = "the daemon closed the connection (\(completed)/\(items) finished)"; break }
            filled += n
        }
        let wall = monotonicNanoseconds() - begin
        if completed < items { gate.abandon() }
        writer.join()
        if filled > 0 { pending = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<filled])) }
        if let readError { throw BenchError(readError + (firstFailure.map { "; first failure: \($0)" } ?? "")) }
        return Outcome(
            items: items, wallNanoseconds: wall, failures: failures, wrongAnswers: wrongAnswers,
            latencies: recorder.sortedLatencies(), firstFailure: firstFailure)
    }
}

/// Byte scanning of reply lines: `{"id":n,"status":s,...}`.
enum ReplyScan {
    static let idKey = Array("\"id\":".utf8)
    static let statusKey = Array("\"status\":".utf8)
    static let addressKey = Array("\"address\":".utf8)
    static let addressesKey = Array("\"addresses\":".utf8)

    /// The (possibly negative) integer right after the first occurrence of `key`.
    static func integer<Bytes: Collection<UInt8>>(after key: [UInt8], in line: Bytes) -> Int64? where Bytes.Index == Int {
        guard let start = find(key, in: line, from: line.startIndex) else { return nil }
        var index = start + key.count
        var negative = false
        if index < line.endIndex && line[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var value: Int64 = 0
        var digits = 0
        while index < line.endIndex, line[index] >= 0x30, line[index] <= 0x39 {
            value = value * 10 + Int64(line[index] - 0x30)
            index += 1
            digits += 1
        }
        return digits == 0 ? nil : (negative ? -value : value)
    }

    static func count<Bytes: Collection<UInt8>>(_ key: [UInt8], in line: Bytes) -> Int where Bytes.Index == Int {
        var total = 0
        var from = line.startIndex
        while let found = find(key, in: line, from: from) {
            total += 1
            from = found + key.count
        }
        return total
    }

    static func find<Bytes: Collection<UInt8>>(_ key: [UInt8], in line: Bytes, from: Int) -> Int? where Bytes.Index == Int {
        guard line.endIndex - from >= key.count else { return nil }
        var index = from
        let last = line.endIndex - key.count
        let first = key[0]
        while index <= last {
            if line[index] == first {
                var match = true
                for offset in 1..<key.count where line[index + offset] != key[offset] {
                    match = false
                    break
                }
                if match { return index }
            }
            index += 1
        }
        return nil
    }
}

/// The writer waits here for room in the window; the reader adds finished items.
private final class WindowGate: @unchecked Sendable {
    // Safe: every field is read and written under `mutex`.
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var finished = 0
    private var abandoned = false

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Blocks until fewer than `window` items are outstanding; how many may be sent (0: stop).
    func waitForRoom(sent: Int, window: Int) -> Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while !abandoned && sent - finished >= window { pthread_cond_wait(&condition, &mutex) }
        return abandoned ? 0 : window - (sent - finished)
    }

    func add(_ count: Int) {
        pthread_mutex_lock(&mutex)
        finished += count
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    func abandon() {
        pthread_mutex_lock(&mutex)
        abandoned = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }
}

/// A value handed to another thread whose use the caller orders by hand (a join).
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A pthread running one closure; `join()` waits for it.
final class JoinableThread {
    private var thread: pthread_t?

    init(_ body: @escaping () -> Void) throws {
        final class Box { let run: () -> Void; init(_ run: @escaping () -> Void) { self.run = run } }
        let box = Unmanaged.passRetained(Box(body))
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw BenchError("pthread_create: \(String(cString: strerror(rc)))")
        }
        thread = tid
    }

    func join() {
        guard let tid = thread else { return }
        thread = nil
        pthread_join(tid, nil)
    }

    deinit { join() }
}
