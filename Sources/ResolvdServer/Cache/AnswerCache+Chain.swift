import ResolverCore

/// Questions answered from the cache's entries, and replies stored as entries.
///
/// A question (name, type) is answered by the RRset of that name and type, by "no data" for
/// them, by "no such name" for the name — or, when the name is an alias, by the same
/// question of the CNAME link's target, the link prepended (at most 16 links, as glibc).
/// TTLs in what comes out count down from when each entry was stored. A reply is stored as
/// the entries its ``QuestionOutcome`` is made of: each CNAME link, then the records, or the
/// negative answer at the chain's end (its TTL the SOA's, RFC 2308 §5, at most
/// `cache_max_negative_ttl`). Only what the outcome holds is stored — records of the name
/// asked and its chain — never anything else a reply carried.
extension AnswerCache {
    enum Lookup {
        /// Answered; `refresh` when an entry it used is in the last tenth of its TTL (prefetch).
        case hit(QuestionOutcome, refresh: Bool)
        /// Not answered; `staleKept` when an expired entry on its way is kept for serve-stale.
        case miss(staleKept: Bool)
    }

    mutating func answer(_ question: QuestionKey, now: UInt64) -> Lookup {
        // No array to note dependencies in: one that is appended to allocates, on every hit.
        var none: [ComposedAnswers.Dependency]? = nil
        return lookUp(question, now: now, recording: &none)
    }

    /// The same, noting each entry the answer was taken from in `dependencies`.
    mutating func answer(_ question: QuestionKey, now: UInt64, recording dependencies: inout [ComposedAnswers.Dependency]) -> Lookup {
        var recorded = Optional(dependencies)
        dependencies = []  // `recorded` holds the only reference: appended to in place
        defer { dependencies = recorded ?? [] }
        return lookUp(question, now: now, recording: &recorded)
    }

    private mutating func lookUp(_ question: QuestionKey, now: UInt64, recording dependencies: inout [ComposedAnswers.Dependency]?) -> Lookup {
        var chain: [DNSRecord] = []
        var name = question.name
        var keptStale = false
        var refresh = false
        for _ in 0...DNSChain.maxLinks {
            // The question itself first, not a copy of it (a retain of its name per lookup).
            let found = chain.isEmpty
                ? entry(question, now: now, keptStale: &keptStale)
                : entry(question.sibling(name, type: question.type), now: now, keptStale: &keptStale)
            if let found {
                dependencies?.append(found.dependency)
                switch found.entry.aged(by: found.elapsed) {
                case .records(let records): return .hit(.records(chain: chain, records: records), refresh: refresh || found.dueForRefresh)
                case .noData(let soa): return .hit(.noData(chain: chain, soa: soa), refresh: false)
                case .nameError(let soa): return .hit(.nameError(chain: chain, soa: soa), refresh: false)
                }
            }
            if let found = entry(question.nameError(name), now: now, keptStale: &keptStale), case .nameError(let soa) = found.entry.aged(by: found.elapsed) {
                dependencies?.append(found.dependency)
                return .hit(.nameError(chain: chain, soa: soa), refresh: false)
            }
            guard question.type != DNSQuestion.cname,
                  let found = entry(question.sibling(name, type: DNSQuestion.cname), now: now, keptStale: &keptStale),
                  case .records(let links) = found.entry.aged(by: found.elapsed), let link = links.first,
                  case .cname(let target) = link.data else { break }
            chain.append(link)
            dependencies?.append(found.dependency)
            refresh = refresh || found.dueForRefresh
            name = DNSQuestion.canonical(target)
        }
        return .miss(staleKept: keptStale)
    }

    /// Serve-stale: the question answered from positive entries that may have expired but are
    /// still kept (RFC 8767), every TTL 30 s; nil when any part of it is gone.
    func staleAnswer(_ question: QuestionKey, now: UInt64) -> QuestionOutcome? {
        var chain: [DNSRecord] = []
        var name = question.name
        for _ in 0...DNSChain.maxLinks {
            let key = chain.isEmpty ? question : question.sibling(name, type: question.type)
            if case .records(let records)? = staleEntry(key, now: now)?.withTTL(Self.staleTTL) {
                return .records(chain: chain, records: records)
            }
            guard question.type != DNSQuestion.cname,
                  case .records(let links)? = staleEntry(question.sibling(name, type: DNSQuestion.cname), now: now)?.withTTL(Self.staleTTL),
                  let link = links.first, case .cname(let target) = link.data else { return nil }
            chain.append(link)
            name = DNSQuestion.canonical(target)
        }
        return nil
    }

    /// Stores what an upstream's reply said about `question` (failures are not stored).
    mutating func store(_ outcome: QuestionOutcome, for question: QuestionKey, now: UInt64) {
        let chain: [DNSRecord]
        switch outcome {
        case .records(let links, _), .nameError(let links, _), .noData(let links, _): chain = links
        case .failure, .malformed, .passedThrough: return
        }
        var end = question.name
        for link in chain {
            store(question.sibling(DNSQuestion.canonical(link.name), type: DNSQuestion.cname), .records([link]), ttl: positiveTTL(link.ttl), now: now)
            if case .cname(let target) = link.data { end = DNSQuestion.canonical(target) }
        }
        switch outcome {
        case .records(_, let records):
            store(question.sibling(end, type: question.type), .records(records), ttl: positiveTTL(records.lazy.map(\.ttl).min() ?? 0), now: now)
        case .nameError(_, let soa):
            store(question.nameError(end), .nameError(soa: soa), ttl: negativeTTL(soa), now: now)
        case .noData(_, let soa):
            store(question.sibling(end, type: question.type), .noData(soa: soa), ttl: negativeTTL(soa), now: now)
        case .failure, .malformed, .passedThrough:
            break
        }
    }

    private func positiveTTL(_ ttl: UInt32) -> UInt32 { min(max(ttl, settings.minTTL), settings.maxTTL) }

    /// RFC 2308 §5: min(SOA TTL, SOA MINIMUM), at most `negativeTTL`; `negativeTTL` without a SOA.
    private func negativeTTL(_ soa: DNSRecord?) -> UInt32 {
        guard let soa, case .soa(_, _, _, _, _, _, let minimum) = soa.data else { return settings.negativeTTL }
        return min(settings.negativeTTL, soa.ttl, minimum)
    }
}

enum DNSChain {
    /// CNAME links followed at most (as many as glibc's resolver follows).
    static let maxLinks = 16
}

extension AnswerCache.Entry {
    /// The same entry `elapsed` seconds later: every TTL lowered by that much.
    func aged(by elapsed: UInt32) -> Self {
        guard elapsed > 0 else { return self }
        return map { record in
            var record = record
            record.ttl -= min(elapsed, record.ttl)
            return record
        }
    }

    /// The same entry with every TTL `ttl` (a stale answer's, RFC 8767 §4).
    func withTTL(_ ttl: UInt32) -> Self {
        map { record in
            var record = record
            record.ttl = ttl
            return record
        }
    }

    private func map(_ transform: (DNSRecord) -> DNSRecord) -> Self {
        switch self {
        case .records(let records): .records(records.map(transform))
        case .nameError(let soa): .nameError(soa: soa.map(transform))
        case .noData(let soa): .noData(soa: soa.map(transform))
        }
    }

    /// A rough size in bytes, for the cache's byte bound: what makes an entry large is its
    /// records' data — a TXT record can carry 64 KiB —, so it must count them.
    var estimatedBytes: Int {
        func size(_ record: DNSRecord) -> Int { 64 + record.name.utf8.count + record.data.estimatedBytes }
        switch self {
        case .records(let records): return 16 + records.reduce(0) { $0 + size($1) }
        case .nameError(let soa), .noData(let soa): return 16 + (soa.map(size) ?? 0)
        }
    }
}
