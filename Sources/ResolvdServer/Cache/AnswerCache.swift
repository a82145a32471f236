import ResolverCore

/// The DNS cache: a bounded LRU of entries keyed by question (``QuestionKey``), each with
/// its own expiry — an RRset (a CNAME link is the one-record RRset of its alias), "no data"
/// for a name and type, or "no such name" for a name (every type) — shared by every op of
/// every front end (docs/cache.md).
///
/// Bounded by entries and by (estimated) bytes; the least recently used entry goes first.
/// Expired entries are dropped when met. This file keeps entries; ``AnswerCache+Chain``
/// answers questions from them (following CNAME links) and stores replies as them. It takes
/// no lock: ``LookupService`` owns it under its own lock. Times are CLOCK_MONOTONIC
/// milliseconds; TTLs are seconds.
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

    /// What one entry holds. Records keep the TTLs they came with; ``Entry/aged(by:)`` counts them down.
    enum Entry: Sendable {
        case records([DNSRecord])
        case nameError(soa: DNSRecord?)
        case noData(soa: DNSRecord?)

        var isPositive: Bool {
            if case .records = self { return true }
            return false
        }
    }

    /// One entry found: what it holds, its seconds stored, and whether it is in the last
    /// 10 % of a TTL of at least 10 s (a hit that asks for a refresh: prefetch).
    struct Found {
        var entry: Entry
        var elapsed: UInt32
        var dueForRefresh: Bool
        var dependency: ComposedAnswers.Dependency
    }

    private struct Node: Sendable {
        var key: QuestionKey
        var entry: Entry
        var storedAt: UInt64
        var expiresAt: UInt64
        /// Until when it is kept after expiry, for serve-stale (`expiresAt` for negative answers).
        var staleUntil: UInt64
        var bytes: Int
        /// Which store put it there: an answer composed from it (``ComposedAnswers``) holds
        /// the stamp and is valid while the same entry is.
        var stamp: UInt64
        var newer: Int32  // toward the most recently used; -1 = none
        var older: Int32
    }

    private(set) var settings: Settings
    private var index: [QuestionKey: Int32] = [:]
    private var nextStamp: UInt64 = 0
    private var nodes: [Node] = []
    private var free: [Int32] = []
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    private(set) var bytes = 0
    private(set) var evictions = 0

    init(settings: Settings) {
        self.settings = settings
    }

    var count: Int { index.count }

    /// The live entry for `key`, or nil when absent or expired — then `keptStale` says whether
    /// an expired one is still kept for serve-stale.
    mutating func entry(_ key: QuestionKey, now: UInt64, keptStale: inout Bool) -> Found? {
        guard let slot = index[key] else { return nil }
        // Field by field, not `let node = nodes[slot]`: a copy of the whole node retained its
        // key and entry once more on every hit.
        let expiresAt = nodes[Int(slot)].expiresAt
        guard expiresAt > now else {
            if nodes[Int(slot)].staleUntil > now {
                keptStale = true
            } else {
                remove(slot)
            }
            return nil
        }
        moveToNewest(slot)
        let refreshAt = refreshAt(storedAt: nodes[Int(slot)].storedAt, expiresAt: expiresAt, isPositive: nodes[Int(slot)].entry.isPositive)
        return Found(
            entry: nodes[Int(slot)].entry, elapsed: MonotonicClock.secondsElapsed(from: nodes[Int(slot)].storedAt, to: now), dueForRefresh: now > refreshAt,
            dependency: ComposedAnswers.Dependency(slot: slot, stamp: nodes[Int(slot)].stamp, expiresAt: expiresAt, refreshAt: refreshAt))
    }

    /// From when a hit asks for a refresh (prefetch): the last 10 % of a positive entry's TTL
    /// of at least 10 s; never for others.
    private func refreshAt(storedAt: UInt64, expiresAt: UInt64, isPositive: Bool) -> UInt64 {
        let lifetime = expiresAt - storedAt
        guard isPositive, lifetime >= 10_000 else { return .max }
        return expiresAt - lifetime / 10
    }

    /// Whether the entry a composed answer was made from is still there, unchanged and live
    /// at `now` (and so is kept as recently used).
    mutating func holds(_ dependency: ComposedAnswers.Dependency, now: UInt64) -> Bool {
        // By slot and stamp, not by key: no hashing on the cached path. A slot's stamp changes
        // with every store into it and is 0 while the slot is free (stamps start at 1).
        let slot = dependency.slot
        guard Int(slot) < nodes.count, nodes[Int(slot)].stamp == dependency.stamp, dependency.expiresAt > now else { return false }
        moveToNewest(slot)
        return true
    }

    /// The entry for `key` if it is live or kept for serve-stale (expired less than
    /// `maxStale` ago), positive ones only.
    func staleEntry(_ key: QuestionKey, now: UInt64) -> Entry? {
        guard let slot = index[key] else { return nil }
        let node = nodes[Int(slot)]
        guard node.staleUntil > now, node.entry.isPositive else { return nil }
        return node.entry
    }

    /// The TTL of a stale answer (RFC 8767 §4: 30 seconds).
    static let staleTTL: UInt32 = 30

    /// Stores `entry` under `key` for `ttl` seconds (0: not at all); a positive one is kept
    /// `maxStale` longer for serve-stale.
    mutating func store(_ key: QuestionKey, _ entry: Entry, ttl: UInt32, now: UInt64) {
        guard ttl > 0 else { return }
        let size = 64 + key.name.utf8.count + entry.estimatedBytes
        let expiresAt = now + UInt64(ttl) * 1000
        var staleUntil = expiresAt
        if entry.isPositive { staleUntil += UInt64(settings.maxStale) * 1000 }
        nextStamp += 1
        let node = Node(
            key: key, entry: entry, storedAt: now, expiresAt: expiresAt, staleUntil: staleUntil, bytes: size, stamp: nextStamp,
            newer: -1, older: -1)
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            nodes[Int(slot)] = node
        } else {
            slot = Int32(nodes.count)
            nodes.append(node)
        }
        // One probe of the index for both: the slot goes in, an entry it replaces comes out.
        if let replaced = index.updateValue(slot, forKey: key) { release(replaced) }
        bytes += size
        linkAsNewest(slot)
        while index.count > settings.maxEntries || bytes > settings.maxBytes, oldest >= 0, oldest != slot {
            remove(oldest)
            evictions += 1
        }
    }

    /// Up to `limit` live entries, most recently used first, with their remaining
    /// seconds (for `dump_cache`); expired ones are skipped, not removed.
    func entries(limit: Int, now: UInt64) -> [(key: QuestionKey, entry: Entry, remaining: UInt64, bytes: Int)] {
        var result: [(key: QuestionKey, entry: Entry, remaining: UInt64, bytes: Int)] = []
        var slot = newest
        while slot >= 0, result.count < limit {
            let node = nodes[Int(slot)]
            if node.expiresAt > now {
                result.append((node.key, node.entry.aged(by: MonotonicClock.secondsElapsed(from: node.storedAt, to: now)), (node.expiresAt - now) / 1000, node.bytes))
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
        index[nodes[Int(slot)].key] = nil
        release(slot)
    }

    /// Frees `slot`, which the index no longer names.
    private mutating func release(_ slot: Int32) {
        unlink(slot)
        let node = nodes[Int(slot)]
        bytes -= node.bytes
        // Release the records' memory now; the slot itself is reused. No composed answer holds
        // it from now on: its stamp is no store's.
        nodes[Int(slot)].entry = .noData(soa: nil)
        nodes[Int(slot)].stamp = 0
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
        // The links only: a copy of the node would retain and release its key and records.
        let (newer, older) = (nodes[Int(slot)].newer, nodes[Int(slot)].older)
        if newer >= 0 { nodes[Int(newer)].older = older } else { newest = older }
        if older >= 0 { nodes[Int(older)].newer = newer } else { oldest = newer }
        nodes[Int(slot)].newer = -1
        nodes[Int(slot)].older = -1
    }
}
