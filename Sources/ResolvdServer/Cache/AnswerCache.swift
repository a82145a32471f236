import ResolverCore

/// A bounded LRU cache of answers, positive and negative, each with its own expiry.
///
/// Bounded by entries and by (estimated) bytes; the least recently used entry goes first.
/// Expired entries are dropped when met. It stores and ages answers; it decides nothing
/// about what is cacheable (``LookupKey/isCacheable``) and takes no lock: ``LookupService``
/// owns it under its own lock. Times are CLOCK_MONOTONIC milliseconds; TTLs are seconds.
public struct AnswerCache: Sendable {
    public struct Settings: Hashable, Sendable {
        public var maxEntries = 100_000
        public var maxBytes = 64 << 20
        /// Positive TTLs are clamped into this range.
        public var minTTL: UInt32 = 0
        public var maxTTL: UInt32 = 86_400
        /// How long "no such name" and "no data" answers are kept, at most; shorter when the
        /// zone's SOA says so.
        public var negativeTTL: UInt32 = 30
        /// Serve-stale (RFC 8767, docs/cache.md): how long past its expiry a positive
        /// answer is kept, to answer when the upstreams fail or are slow; 0 (the cache's
        /// default) turns it off. The daemon's default is one day (``DaemonConfiguration``).
        public var maxStale: UInt32 = 0
        /// Serve-stale's client response timer: a lookup with an expired entry still kept
        /// is answered from it after this many milliseconds without an upstream answer;
        /// 0 answers stale only when the upstream lookup fails.
        public var staleAnswerAfterMilliseconds: UInt32 = 1_800
        /// Prefetch (docs/cache.md): the most background refreshes at once, as a percentage
        /// of the upstream capacity (channels × queries in flight per channel); 0 turns
        /// prefetch off.
        public var prefetchSharePercent = 10

        public init() {}
    }

    enum Answer: Sendable {
        case value(LookupValue)
        case failure(ResolverError)
        /// A miss, but an expired answer is kept for serve-stale (``staleAnswer(_:now:)``).
        case expired
        /// A hit in the last 10 % of a TTL of at least 10 s: answer it, and refresh it
        /// (prefetch).
        case refresh(LookupValue)
    }

    private struct Node: Sendable {
        var key: HashedKey
        var answer: Answer
        var storedAt: UInt64
        var expiresAt: UInt64
        /// Until when it is kept after expiry, for serve-stale (`expiresAt` for negative answers).
        var staleUntil: UInt64
        var bytes: Int
        var newer: Int32  // toward the most recently used; -1 = none
        var older: Int32
    }

    private(set) var settings: Settings
    private var index: [HashedKey: Int32] = [:]
    private var nodes: [Node] = []
    private var free: [Int32] = []
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    private(set) var bytes = 0
    private(set) var hits = 0
    private(set) var misses = 0
    private(set) var evictions = 0

    init(settings: Settings) {
        self.settings = settings
    }

    var count: Int { index.count }

    /// The answer for `key`, aged to `now`, or nil (a miss) when absent or expired.
    mutating func lookup(_ key: HashedKey, now: UInt64) -> Answer? {
        guard let slot = index[key] else {
            misses += 1
            return nil
        }
        let node = nodes[Int(slot)]
        guard node.expiresAt > now else {
            misses += 1
            guard node.staleUntil > now else {
                remove(slot)
                return nil
            }
            return .expired
        }
        hits += 1
        moveToNewest(slot)
        let elapsed = UInt32(clamping: (now - node.storedAt) / 1000)
        switch node.answer {
        case .value(let value):
            let lifetime = node.expiresAt - node.storedAt
            if lifetime >= 10_000 && (node.expiresAt - now) * 10 < lifetime { return .refresh(value.aged(by: elapsed)) }
            return .value(value.aged(by: elapsed))
        case .failure, .expired, .refresh: return node.answer
        }
    }

    /// Serve-stale: the expired positive answer kept for `key`, with every TTL 30 s
    /// (RFC 8767 §4), or nil. Negative answers are never served stale.
    mutating func staleAnswer(_ key: HashedKey, now: UInt64) -> LookupValue? {
        guard let slot = index[key] else { return nil }
        let node = nodes[Int(slot)]
        guard node.staleUntil > now, case .value(let value) = node.answer else { return nil }
        return .stale(value.withTTL(Self.staleTTL))
    }

    /// The TTL of a stale answer (RFC 8767 §4: 30 seconds).
    static let staleTTL: UInt32 = 30

    /// Stores a positive answer for its TTL (clamped), or a negative one for the negative TTL.
    mutating func store(_ key: HashedKey, result: Result<LookupValue, ResolverError>, now: UInt64) {
        let ttl: UInt32
        let answer: Answer
        switch result {
        case .success(let value):
            guard let valueTTL = value.ttl else { return }
            ttl = min(max(valueTTL, settings.minTTL), settings.maxTTL)
            answer = .value(value)
        case .failure(let error):
            guard error.code == .hostNotFound || error.code == .noData else { return }
            ttl = min(settings.negativeTTL, error.negativeTTL ?? .max)
            answer = .failure(error)
        }
        guard ttl > 0 else { return }
        let size = key.key.estimatedBytes + {
            if case .value(let value) = answer { return value.estimatedBytes }
            return 96
        }()
        if let existing = index[key] { remove(existing) }
        let expiresAt = now + UInt64(ttl) * 1000
        var staleUntil = expiresAt
        if case .value = answer { staleUntil += UInt64(settings.maxStale) * 1000 }
        let node = Node(
            key: key, answer: answer, storedAt: now, expiresAt: expiresAt, staleUntil: staleUntil, bytes: size, newer: -1, older: -1)
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            nodes[Int(slot)] = node
        } else {
            slot = Int32(nodes.count)
            nodes.append(node)
        }
        index[key] = slot
        bytes += size
        linkAsNewest(slot)
        while index.count > settings.maxEntries || bytes > settings.maxBytes, oldest >= 0, oldest != slot {
            remove(oldest)
            evictions += 1
        }
    }

    /// Up to `limit` live entries, most recently used first, with their remaining
    /// seconds (for `dump_cache`); expired ones are skipped, not removed.
    func entries(limit: Int, now: UInt64) -> [(key: LookupKey, remaining: UInt64, positive: Bool, bytes: Int)] {
        var result: [(key: LookupKey, remaining: UInt64, positive: Bool, bytes: Int)] = []
        var slot = newest
        while slot >= 0, result.count < limit {
            let node = nodes[Int(slot)]
            if node.expiresAt > now {
                let positive = if case .value = node.answer { true } else { false }
                result.append((node.key.key, (node.expiresAt - now) / 1000, positive, node.bytes))
            }
            slot = node.older
        }
        return result
    }

    /// Drops everything; returns how many entries there were.
    @discardableResult
    mutating func flush() -> Int {
        let count = index.count
        index.removeAll()
        nodes.removeAll()
        free.removeAll()
        newest = -1
        oldest = -1
        bytes = 0
        return count
    }

    mutating func update(settings: Settings) {
        self.settings = settings
        while index.count > settings.maxEntries || bytes > settings.maxBytes, oldest >= 0 {
            remove(oldest)
            evictions += 1
        }
    }

    private mutating func remove(_ slot: Int32) {
        unlink(slot)
        let node = nodes[Int(slot)]
        index[node.key] = nil
        bytes -= node.bytes
        // Release the answer's memory now; the slot itself is reused.
        nodes[Int(slot)].answer = .failure(.aborted)
        free.append(slot)
    }

    private mutating func moveToNewest(_ slot: Int32) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    private mutating func linkAsNewest(_ slot: Int32) {
        nodes[Int(slot)].older = newest
        nodes[Int(slot)].newer = -1
        if newest >= 0 { nodes[Int(newest)].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int32) {
        let node = nodes[Int(slot)]
        if node.newer >= 0 { nodes[Int(node.newer)].older = node.older } else { newest = node.older }
        if node.older >= 0 { nodes[Int(node.older)].newer = node.newer } else { oldest = node.newer }
        nodes[Int(slot)].newer = -1
        nodes[Int(slot)].older = -1
    }
}
