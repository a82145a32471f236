import Glibc

/// A loopback UDP DNS proxy that forwards each query to an upstream and relays the reply
/// to the client `delay` after it arrives. One thread, poll() and a deadline queue, so slow
/// replies never hold up other queries. Query ids are rewritten on the way up (so two
/// clients may use the same id) and restored on the way back.
///
/// A gate makes "in flight" a fact rather than a guess: after ``hold()`` every reply stays
/// at the proxy (``repliesHeld`` counts them) until ``release()``, so a test can wait until
/// the upstream has answered a query and still be sure the client has not seen the answer.
///
/// Loss: with `dropPercent` it drops that share of the datagrams it sees (queries from
/// clients and replies from the upstream, one sequence), exactly `dropPercent` % of every
/// block of ``lossBlock`` datagrams, at positions a generator seeded with `seed` picks — the
/// same pattern on every run, without long bursts.
///
/// UDP only: a truncated reply relayed through the proxy sends the client to TCP on this
/// port, which nothing serves.
public final class DelayingProxy: Sendable {
    public let host: String = "127.0.0.1"
    public let port: UInt16
    public let upstreamPort: UInt16
    public var serverAddress: String { "\(host):\(port)" }

    /// The delay applied to replies arriving from now on.
    public var delay: Duration {
        get { state.withLock { $0.delay } }
        set { state.withLock { $0.delay = newValue } }
    }

    /// Replies relayed to clients so far.
    public var repliesRelayed: Int { state.withLock { $0.relayed } }

    /// Queries forwarded to the upstream so far.
    public var queriesForwarded: Int { state.withLock { $0.forwarded } }

    /// How many queries it forwarded per question, as `"name TYPE"` with the name in lower
    /// case and the type's number (`"www.example.test 1"`): what an upstream was asked.
    public var questionsForwarded: [String: Int] { state.withLock { $0.questions } }

    /// Forgets the questions counted so far.
    public func resetQuestions() { state.withLock { $0.questions = [:] } }

    /// Datagrams (queries and replies) seen so far, and how many of them were dropped.
    public var datagrams: (seen: Int, dropped: Int) { state.withLock { ($0.loss.seen, $0.loss.dropped) } }

    /// The block of datagrams in which exactly `dropPercent` % are dropped.
    public static let lossBlock = 20

    /// Replies received from the upstream and kept back by ``hold()``.
    public var repliesHeld: Int { state.withLock { $0.held } }

    /// Closes the gate: from now on no reply reaches a client until ``release()``.
    public func hold() { state.withLock { $0.holding = true; $0.heldTypes = nil } }

    /// Closes the gate for replies to questions of these record types only (28: AAAA);
    /// replies to other types go out as usual. ``release()`` opens it.
    public func hold(recordTypes: Set<UInt16>) { state.withLock { $0.holding = true; $0.heldTypes = recordTypes } }

    /// Opens the gate: replies held so far go out (after their delay), and later ones too.
    public func release() { state.withLock { $0.holding = false } }

    /// Waits until `count` queries in all have been forwarded upstream; false after `timeout`.
    public func waitUntil(queriesForwarded count: Int, timeout: Duration = .seconds(10)) -> Bool {
        waitUntil(timeout: timeout) { $0.forwarded >= count }
    }

    /// Waits until `count` replies are held at the closed gate; false after `timeout`.
    public func waitUntil(repliesHeld count: Int, timeout: Duration = .seconds(10)) -> Bool {
        waitUntil(timeout: timeout) { $0.held >= count }
    }

    private func waitUntil(timeout: Duration, _ condition: (Shared) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !state.withLock({ condition($0) }) {
            if ContinuousClock.now >= deadline { return false }
            usleep(1_000)
        }
        return true
    }

    private struct Shared: Sendable {
        var delay: Duration
        var relayed = 0
        var forwarded = 0
        var questions: [String: Int] = [:]
        var holding = false
        /// The record types whose replies the closed gate keeps; nil: every reply.
        var heldTypes: Set<UInt16>?
        /// Replies in the queue while `holding`.
        var held = 0
        var loss: Loss
    }

    /// The seeded drop pattern: each block of ``lossBlock`` datagrams gets its own shuffle.
    struct Loss: Sendable {
        let dropsPerBlock: Int
        var generator: SplitMix64
        var pattern: [Bool] = []
        var seen = 0
        var dropped = 0

        init(percent: Int, seed: UInt64) {
            dropsPerBlock = percent * DelayingProxy.lossBlock / 100
            generator = SplitMix64(seed: seed)
        }

        /// Whether the next datagram is dropped.
        mutating func drop() -> Bool {
            guard dropsPerBlock > 0 else { return false }
            let position = seen % DelayingProxy.lossBlock
            if position == 0 {
                pattern = (0..<DelayingProxy.lossBlock).map { $0 < dropsPerBlock }
                pattern.shuffle(using: &generator)
            }
            seen += 1
            if pattern[position] { dropped += 1 }
            return pattern[position]
        }
    }

    /// How often a held proxy looks at its gate: release() needs no wake-up of its own.
    private static let gatePollInterval: Int32 = 2

    private let state: Locked<Shared>
    private let worker: WorkerThread

    private init(port: UInt16, upstreamPort: UInt16, state: Locked<Shared>, worker: WorkerThread) {
        self.port = port
        self.upstreamPort = upstreamPort
        self.state = state
        self.worker = worker
    }

    public static func start(
        upstreamPort: UInt16, upstreamHost: String = "127.0.0.1", delay: Duration, dropPercent: Int = 0, seed: UInt64 = 0
    ) throws -> DelayingProxy {
        guard (0...100).contains(dropPercent), dropPercent * lossBlock % 100 == 0 else {
            throw FixtureError("dropPercent \(dropPercent): not a whole number of datagrams in \(lossBlock)")
        }
        let client = try Socket.make(SOCK_DGRAM, nonBlocking: true)
        let upstream: Int32
        let port: UInt16
        do {
            let rc = Socket.bind(client, port: 0)
            guard rc == 0 else { throw FixtureError("bind UDP: \(String(cString: strerror(rc)))") }
            port = try Socket.localPort(client)
            upstream = try Socket.make(SOCK_DGRAM, nonBlocking: true)
            do {
                try Socket.connect(upstream, host: upstreamHost, port: upstreamPort)
            } catch {
                close(upstream)
                throw error
            }
        } catch {
            close(client)
            throw error
        }
        let state = Locked(Shared(delay: delay, loss: Loss(percent: dropPercent, seed: seed)))
        let worker: WorkerThread
        do {
            worker = try WorkerThread(name: "DelayingProxy") { wake in
                run(client: client, upstream: upstream, wake: wake, state: state)
            }
        } catch {
            close(client)
            close(upstream)
            throw error
        }
        return DelayingProxy(port: port, upstreamPort: upstreamPort, state: state, worker: worker)
    }

    /// Stops the proxy thread, dropping replies not yet relayed. Idempotent.
    public func stop() { worker.stop() }

    deinit { stop() }

    private struct Outstanding {
        var client: sockaddr_in
        var originalID: UInt16
        var sentAt: ContinuousClock.Instant
    }

    private struct Delayed {
        var due: ContinuousClock.Instant
        var client: sockaddr_in
        var reply: [UInt8]
    }

    /// Queries upstream never answered are forgotten after this long.
    private static let forgetAfter: Duration = .seconds(60)

    private static func run(client: Int32, upstream: Int32, wake: Int32, state: Locked<Shared>) {
        defer {
            close(client)
            close(upstream)
        }
        var outstanding: [UInt16: Outstanding] = [:]
        var queue: [Delayed] = []   // sorted by `due`
        var nextID = UInt16.random(in: 0...UInt16.max)
        var lastSweep = ContinuousClock.now

        while true {
            let now = ContinuousClock.now
            // Relay everything due, unless the gate is closed.
            var dueCount = 0
            while dueCount < queue.count, queue[dueCount].due <= now { dueCount += 1 }
            var passing: [Delayed] = []
            let holding = state.withLock { shared -> Bool in
                if !shared.holding {
                    passing = Array(queue[0..<dueCount])
                    queue.removeFirst(dueCount)
                } else if let types = shared.heldTypes {
                    // Only the due replies to other types pass the closed gate.
                    let due = queue[0..<dueCount]
                    passing = due.filter { !types.contains(questionType($0.reply)) }
                    queue = due.filter { types.contains(questionType($0.reply)) } + queue[dueCount...]
                }
                // Counted first, so a client that has its reply also sees it counted.
                shared.held = shared.holding ? queue.count : 0
                shared.relayed += passing.count
                return shared.holding
            }
            for item in passing { Socket.send(client, item.reply, to: item.client) }
            if now - lastSweep > .seconds(5) {
                outstanding = outstanding.filter { now - $0.value.sentAt < forgetAfter }
                lastSweep = now
            }

            var fds = [wake, client, upstream].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let timeout = holding ? gatePollInterval : queue.first.map { now.duration(to: $0.due).pollMilliseconds } ?? 5_000
            if poll(&fds, nfds_t(fds.count), timeout) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[0].revents != 0 { return }

            if fds[1].revents != 0 {
                while let (query, from) = Socket.receive(client) {
                    guard query.count >= 12, outstanding.count < 65_536, !state.withLock({ $0.loss.drop() }) else { continue }
                    while outstanding[nextID] != nil { nextID &+= 1 }
                    let id = nextID
                    nextID &+= 1
                    outstanding[id] = Outstanding(client: from, originalID: UInt16(query[0]) << 8 | UInt16(query[1]),
                                                  sentAt: ContinuousClock.now)
                    var forwarded = query
                    forwarded[0] = UInt8(id >> 8)
                    forwarded[1] = UInt8(id & 0xff)
                    _ = forwarded.withUnsafeBytes { send(upstream, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    let question = questionText(query)
                    state.withLock {
                        $0.forwarded += 1
                        $0.questions[question, default: 0] += 1
                    }
                }
            }

            if fds[2].revents != 0 {
                let delay = state.withLock { $0.delay }
                // recvfrom on the connected socket; errors such as ECONNREFUSED end the batch.
                while let (reply, _) = Socket.receive(upstream) {
                    guard reply.count >= 12, !state.withLock({ $0.loss.drop() }) else { continue }
                    let id = UInt16(reply[0]) << 8 | UInt16(reply[1])
                    guard let query = outstanding.removeValue(forKey: id) else { continue }
                    var relayed = reply
                    relayed[0] = UInt8(query.originalID >> 8)
                    relayed[1] = UInt8(query.originalID & 0xff)
                    let item = Delayed(due: ContinuousClock.now + delay, client: query.client, reply: relayed)
                    // Insert after every item due no later (stable, usually at the end).
                    var index = queue.count
                    while index > 0, queue[index - 1].due > item.due { index -= 1 }
                    queue.insert(item, at: index)
                }
            }
        }
    }
}

/// The QTYPE of a DNS message's first question; 0 when the message is too short.
/// A query's question as `"name TYPE-NUMBER"`, the name in lower case without a trailing dot.
func questionText(_ message: [UInt8]) -> String {
    var labels: [String] = []
    var offset = 12
    while offset < message.count, message[offset] != 0, message[offset] & 0xC0 == 0 {
        let length = Int(message[offset])
        guard offset + 1 + length <= message.count else { break }
        labels.append(String(decoding: message[(offset + 1)..<(offset + 1 + length)], as: UTF8.self).lowercased())
        offset += length + 1
    }
    return labels.joined(separator: ".") + " \(questionType(message))"
}

func questionType(_ message: [UInt8]) -> UInt16 {
    var offset = 12
    while offset < message.count, message[offset] != 0 {
        guard message[offset] & 0xC0 == 0 else { offset += 1; break }  // no pointers in a question; be safe
        offset += Int(message[offset]) + 1
    }
    offset += 1
    guard offset + 1 < message.count else { return 0 }
    return UInt16(message[offset]) << 8 | UInt16(message[offset + 1])
}

/// Steele, Lea and Flood's SplitMix64: a small seeded generator, so a fixture's "random"
/// choices (and a soak's) are the same on every run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for a test's random choices: seeded from `RESOLVD_TEST_SEED` when set (to
    /// replay a failure), else from the clock; the seed is printed either way, so a failing
    /// run says how to repeat its choices.
    public static func forTest(_ name: String) -> (generator: SplitMix64, seed: UInt64) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let seed = getenv("RESOLVD_TEST_SEED").flatMap { UInt64(String(cString: $0)) }
            ?? UInt64(truncatingIfNeeded: now.tv_sec) &* 1_000_000_007 &+ UInt64(truncatingIfNeeded: now.tv_nsec)
        print("\(name): random seed \(seed) (RESOLVD_TEST_SEED=\(seed) repeats it)")
        return (SplitMix64(seed: seed), seed)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
