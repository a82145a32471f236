import ResolvdProtocol
import ResolverCore

/// Answers composed from the DNS cache, by request — what unbound keeps as its message cache
/// over its RRset cache: a repeated `getaddrinfo` is answered by one lookup here instead of
/// being composed again from its A and AAAA entries (the cached path is the hot one:
/// docs/performance.md).
///
/// An answer holds no records of its own authority: it names the cache entries it was made
/// from (``Dependency``: slot and stamp) and is served only while every one of them is still
/// there, unchanged and live — a refreshed, evicted or expired entry makes it a miss, and the
/// request is composed afresh. TTLs count down from when it was composed, so from when each
/// record was stored (to the second). It is not served from the last tenth of an entry's TTL
/// on, so that the normal path sees the hit that asks for a prefetch.
///
/// Bounded by a quarter of the cache's entry and byte bounds; when full, an arbitrary answer
/// goes (it is only a shortcut: the entries stay). Only what the cache answered wholly is
/// kept (``LookupService+Ops``), never a local answer (the hosts file and literals are not
/// the cache's) nor a failure. It takes no lock: the service owns it under its own.
struct ComposedAnswers {
    /// One cache entry an answer was made from: its slot in the cache and the stamp of the
    /// store that put it there.
    struct Dependency {
        let slot: Int32
        let stamp: UInt64
        let expiresAt: UInt64
        /// From when a hit on it asks for a prefetch.
        let refreshAt: UInt64
    }

    /// A request as the answers are keyed: without its `timeout_ms`, with its hash computed once.
    struct Key: Hashable {
        let request: LookupRequest
        private let hash: Int

        init(_ request: LookupRequest) {
            self.request = request.withoutTimeout
            self.hash = Self.hash(of: self.request)
        }

        /// getaddrinfo, the op of nearly every cached call, hashed by hand: the name and the
        /// service, then its four small fields in one word — the synthesized hash combined
        /// each field and each optional's tag on its own (~250 instructions more per cached
        /// lookup, callgrind). Any other op as Swift hashes it. Equality still compares the
        /// whole request.
        private static func hash(of request: LookupRequest) -> Int {
            guard case .addressInfo(let lookup) = request else { return request.hashValue }
            var hasher = Hasher()
            hasher.combine(lookup.name)
            hasher.combine(lookup.service)
            let family: UInt64 = switch lookup.family { case .unspecified: 0; case .inet: 1; case .inet6: 2 }
            let socketType: UInt64 = switch lookup.socketType { case nil: 0; case .stream?: 1; case .datagram?: 2; case .raw?: 3 }
            let transport: UInt64 = switch lookup.transport { case nil: 0; case .tcp?: 1; case .udp?: 2 }
            hasher.combine(family | socketType << 8 | transport << 16 | UInt64(lookup.flags.rawValue) << 24)
            return hasher.finalize()
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
        static func == (lhs: Key, rhs: Key) -> Bool { lhs.hash == rhs.hash && lhs.request == rhs.request }
    }

    private struct Answer {
        var value: LookupValue
        var composedAt: UInt64
        var validUntil: UInt64
        var dependencies: [Dependency]
        var bytes: Int
    }

    private var answers: [Key: Answer] = [:]
    private(set) var bytes = 0
    var maxEntries: Int
    var maxBytes: Int

    init(settings: AnswerCache.Settings) {
        maxEntries = max(1, settings.maxEntries / 4)
        maxBytes = max(1, settings.maxBytes / 4)
    }

    var count: Int { answers.count }

    /// The answer for `key` aged to `now`, if every entry it was made from still holds.
    mutating func answer(_ key: Key, now: UInt64, cache: inout AnswerCache) -> LookupValue? {
        guard let answer = answers[key] else { return nil }
        guard now < answer.validUntil, answer.dependencies.allSatisfy({ cache.holds($0, now: now) }) else {
            remove(key)
            return nil
        }
        return answer.value.aged(by: MonotonicClock.secondsElapsed(from: answer.composedAt, to: now))
    }

    mutating func store(_ key: Key, _ value: LookupValue, madeFrom dependencies: [Dependency], now: UInt64) {
        guard !dependencies.isEmpty else { return }
        let validUntil = dependencies.reduce(UInt64.max) { min($0, $1.expiresAt, $1.refreshAt) }
        guard validUntil > now else { return }
        let size = 96 + dependencies.count * 32 + value.estimatedBytes
        remove(key)
        while answers.count >= maxEntries || bytes + size > maxBytes, let any = answers.keys.first { remove(any) }
        answers[key] = Answer(value: value, composedAt: now, validUntil: validUntil, dependencies: dependencies, bytes: size)
        bytes += size
    }

    mutating func flush() {
        answers.removeAll()
        bytes = 0
    }

    private mutating func remove(_ key: Key) {
        if let gone = answers.removeValue(forKey: key) { bytes -= gone.bytes }
    }
}

/// Where an answer taken from the cache came from: the entries it was made from and the
/// service's generation of answers then — what a front end keeps to serve the same answer
/// again without asking the cache (the DNS stub's written replies), checked with
/// ``LookupService/stillHolds(_:now:)``. `validUntil` is the earliest end or refresh point of
/// its entries: past it, it is asked afresh (and a refresh can start).
struct AnswerProvenance: Sendable {
    let dependencies: [ComposedAnswers.Dependency]
    let generation: UInt64
    let madeAt: UInt64
    let validUntil: UInt64

    init(dependencies: [ComposedAnswers.Dependency], generation: UInt64, madeAt: UInt64) {
        self.dependencies = dependencies
        self.generation = generation
        self.madeAt = madeAt
        self.validUntil = dependencies.isEmpty ? 0 : dependencies.reduce(UInt64.max) { min($0, $1.expiresAt, $1.refreshAt) }
    }
}

extension LookupRequest {
    /// The same request without its `timeout_ms` (the op's, not the answer's).
    var withoutTimeout: LookupRequest {
        switch self {
        case .addressInfo(var request):
            request.timeout = nil
            return .addressInfo(request)
        case .nameInfo(var request):
            request.timeout = nil
            return .nameInfo(request)
        case .query(let name, let type, _): return .query(name: name, type: type, timeout: nil)
        case .hostByName(let name, let family, let bufferLength, _): return .hostByName(name: name, family: family, bufferLength: bufferLength, timeout: nil)
        case .hostByAddress(let address, let bufferLength, _): return .hostByAddress(address: address, bufferLength: bufferLength, timeout: nil)
        case .serviceByName, .serviceByPort, .protocolByName, .protocolByNumber: return self
        }
    }
}

extension LookupValue {
    /// The same answer `elapsed` seconds later: every TTL lowered by that much.
    func aged(by elapsed: UInt32) -> LookupValue {
        guard elapsed > 0 else { return self }
        switch self {
        case .addressInfo(var info):
            for index in info.addresses.indices { info.addresses[index].ttl -= min(elapsed, info.addresses[index].ttl) }
            return .addressInfo(info)
        case .query(var answer):
            for index in answer.records.indices { answer.records[index].ttl -= min(elapsed, answer.records[index].ttl) }
            return .query(answer)
        case .host(var entry):
            entry.ttl = entry.ttl.map { $0 - min(elapsed, $0) }
            return .host(entry)
        case .stale(let inner):
            return .stale(inner.aged(by: elapsed))
        default:
            return self
        }
    }

    /// A rough size in bytes, for the byte bound.
    var estimatedBytes: Int {
        switch self {
        case .addressInfo(let info): 48 + (info.canonicalName?.utf8.count ?? 0) + info.addresses.count * 72
        case .query(let answer): 48 + answer.records.reduce(0) { $0 + 64 + $1.name.utf8.count + $1.data.estimatedBytes }
        case .host(let entry): 64 + entry.name.utf8.count + entry.addresses.count * 40 + entry.aliases.reduce(0) { $0 + $1.utf8.count + 16 }
        case .nameInfo(let info): 64 + info.host.utf8.count + info.service.utf8.count
        default: 64
        }
    }
}
