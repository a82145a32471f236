import ResolverTesting
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What the soak's connections share: the lookups still to issue, and the tallies.
final class SoakShared: Sendable {
    struct Totals {
        var lookups = 0
        var requests = 0
        var cancels = 0
        var cancelAlls = 0
        var replies = 0
        var abruptCloses = 0
        var abandoned = 0
        var lost = 0
        var duplicated = 0
        var unknown = 0
        var statuses: [Int64: Int] = [:]
        var firstViolation: String?

        mutating func add(_ other: Totals) {
            lookups += other.lookups
            requests += other.requests
            cancels += other.cancels
            cancelAlls += other.cancelAlls
            replies += other.replies
            abruptCloses += other.abruptCloses
            abandoned += other.abandoned
            lost += other.lost
            duplicated += other.duplicated
            unknown += other.unknown
            statuses.merge(other.statuses, uniquingKeysWith: +)
            firstViolation = firstViolation ?? other.firstViolation
        }
    }

    private let remaining: Atomic<Int>
    private let issuedCount = Atomic<Int>(0)
    private let running: Atomic<Int>
    private let collected: Mutex<Totals> = Mutex(Totals())

    init(lookups: Int) { remaining = Atomic(lookups); running = Atomic(0) }

    /// Takes up to `count` lookups to issue; 0 when none are left.
    func take(_ count: Int) -> Int {
        var current = remaining.load(ordering: .relaxed)
        while current > 0 {
            let taken = min(count, current)
            let (exchanged, original) = remaining.compareExchange(expected: current, desired: current - taken, ordering: .relaxed)
            if exchanged {
                issuedCount.add(taken, ordering: .relaxed)
                return taken
            }
            current = original
        }
        return 0
    }

    var issued: Int { issuedCount.load(ordering: .relaxed) }

    func started() { running.add(1, ordering: .relaxed) }

    func finish(_ totals: Totals) {
        collected.withLock { $0.add(totals) }
        running.subtract(1, ordering: .relaxed)
    }

    /// True once no lookup is left to issue and every connection has reported.
    var finished: Bool { remaining.load(ordering: .relaxed) == 0 && running.load(ordering: .relaxed) == 0 }

    var totals: Totals { collected.withLock { $0 } }
}

/// One soak connection (``SoakCommand``): batches of pipelined lookups with random cancels
/// and `cancel_all`s, each batch read until every request has its one reply, and now and then
/// an abrupt close in the middle of a batch.
final class SoakConnection: @unchecked Sendable {  // used by its one thread only after init
    private let path: String
    private let shared: SoakShared
    private let window: Int
    private let names: Int
    private let replyTimeoutMilliseconds: Int32
    private var random: SplitMix64
    private var totals = SoakShared.Totals()

    init(path: String, shared: SoakShared, window: Int, names: Int, replyTimeoutMilliseconds: Int32, seed: UInt64) {
        self.path = path
        self.shared = shared
        self.window = window
        self.names = names
        self.replyTimeoutMilliseconds = replyTimeoutMilliseconds
        self.random = SplitMix64(seed: seed)
        shared.started()
    }

    func run() {
        defer { shared.finish(totals) }
        var client: PipelinedClient?
        while true {
            let count = shared.take(window)
            guard count > 0 else { return }
            if client == nil {
                do { client = try PipelinedClient(path: path) } catch {
                    violation(lost: count, "connect: \(error)")
                    return
                }
            }
            if !batch(on: client!, lookups: count) { client = nil }
        }
    }

    /// Sends one batch and reads it to the end; false when the connection was closed abruptly.
    private func batch(on client: PipelinedClient, lookups: Int) -> Bool {
        var expected: Set<Int64> = []
        var out: [UInt8] = []
        var lookupIDs: [Int64] = []
        for _ in 0..<lookups {
            let id = client.takeID()
            let name = "s\(random.below(names)).wild.example.test"
            out += Array(#"{"id":\#(id),"op":"getaddrinfo","name":"\#(name)","family":"inet"}"#.utf8) + [0x0a]
            expected.insert(id)
            lookupIDs.append(id)
            // A cancel of one of this batch's lookups, in flight or already answered.
            if random.below(100) < 10, let handle = lookupIDs.randomElement(using: &random) {
                let cancelID = client.takeID()
                out += Array(#"{"id":\#(cancelID),"op":"cancel","handle":\#(handle)}"#.utf8) + [0x0a]
                expected.insert(cancelID)
                totals.cancels += 1
            }
        }
        if random.below(100) < 3 {
            let id = client.takeID()
            out += Array(#"{"id":\#(id),"op":"cancel_all"}"#.utf8) + [0x0a]
            expected.insert(id)
            totals.cancelAlls += 1
        }
        totals.lookups += lookups
        totals.requests += expected.count
        let sent = out.withUnsafeBytes { client.writeAll($0) }
        guard sent else {
            violation(lost: expected.count, "write failed: the daemon closed a connection")
            return false
        }
        // An abrupt close: the connection goes away with this batch in flight.
        if random.below(1_000) < 5 {
            if random.below(2) == 0 { _ = client.readLine(timeoutMilliseconds: 5) }
            totals.abruptCloses += 1
            totals.abandoned += expected.count
            return false
        }
        var answered: Set<Int64> = []
        while answered.count < expected.count {
            guard let reply = client.readLine(timeoutMilliseconds: replyTimeoutMilliseconds) else {
                violation(lost: expected.count - answered.count, "no reply within \(replyTimeoutMilliseconds) ms to ids \(expected.subtracting(answered).sorted())")
                return false
            }
            guard let id = ReplyScan.integer(after: ReplyScan.idKey, in: reply), expected.contains(id) else {
                totals.unknown += 1
                totals.firstViolation = totals.firstViolation ?? "reply to no request of the batch: \(String(decoding: reply, as: UTF8.self))"
                continue
            }
            guard answered.insert(id).inserted else {
                totals.duplicated += 1
                totals.firstViolation = totals.firstViolation ?? "second reply to id \(id): \(String(decoding: reply, as: UTF8.self))"
                continue
            }
            totals.replies += 1
            totals.statuses[ReplyScan.integer(after: ReplyScan.statusKey, in: reply) ?? -1, default: 0] += 1
        }
        return true
    }

    private func violation(lost: Int, _ message: String) {
        totals.lost += lost
        totals.firstViolation = totals.firstViolation ?? message
    }
}

extension SplitMix64 {
    /// A number in 0..<bound.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
