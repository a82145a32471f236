import ResolverCore
import Testing

@testable import ResolvdServer

/// The DNS cache on its own, with an explicit clock (milliseconds): no sleeping, no sockets.
@Suite struct AnswerCacheTests {
    static let a = DNSQuestion.a
    static let aaaa = DNSQuestion.aaaa

    static func key(_ name: String, _ type: UInt16 = a) -> QuestionKey { QuestionKey(DNSQuestion(name: name, type: type)) }
    static func record(_ name: String, ttl: UInt32, _ address: String = "192.0.2.1") -> DNSRecord {
        DNSRecord(name: name, ttl: ttl, data: .a(address: address))
    }
    static func link(_ alias: String, _ target: String, ttl: UInt32) -> DNSRecord {
        DNSRecord(name: alias, ttl: ttl, data: .cname(target: target))
    }
    static func soa(ttl: UInt32, minimum: UInt32) -> DNSRecord {
        DNSRecord(name: "test", ttl: ttl, data: .soa(mname: "ns.test", rname: "hostmaster.test", serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: minimum))
    }

    /// The records (TTLs) a hit answers with, or nil for anything else.
    static func ttls(_ lookup: AnswerCache.Lookup) -> [UInt32]? {
        guard case .hit(.records(let chain, let records), _) = lookup else { return nil }
        return (chain + records).map(\.ttl)
    }

    static func isMiss(_ lookup: AnswerCache.Lookup) -> Bool {
        if case .miss = lookup { return true }
        return false
    }

    @Test func answersCountTheirTTLDownAndExpire() {
        var cache = AnswerCache(settings: .init())
        cache.store(.records(chain: [], records: [Self.record("A.test", ttl: 10)]), for: Self.key("a.test"), now: 1_000)
        #expect(Self.ttls(cache.answer(Self.key("a.test"), now: 1_000)) == [10])
        #expect(Self.ttls(cache.answer(Self.key("A.TEST."), now: 4_500)) == [7])  // any letter case; 3 whole seconds gone
        #expect(Self.isMiss(cache.answer(Self.key("a.test"), now: 11_000)))  // expired
        #expect(Self.isMiss(cache.answer(Self.key("a.test", Self.aaaa), now: 1_000)))  // another type is another question
        #expect(cache.count == 0)
    }

    /// Each thread reads the clock before it takes the service's lock, so a lookup can come
    /// with a `now` a little before the time another thread stored the entry at: a hit at
    /// its full TTL, not an arithmetic trap (which stopped the daemon in a Varlink stress test).
    @Test func aHitReadAtATimeBeforeTheStoreIsAtItsFullTTL() {
        var cache = AnswerCache(settings: .init())
        cache.store(.records(chain: [], records: [Self.record("a.test", ttl: 10)]), for: Self.key("a.test"), now: 5_000)
        #expect(Self.ttls(cache.answer(Self.key("a.test"), now: 4_999)) == [10])
        let dumped = cache.entries(limit: 10, now: 4_999).map { dumped -> [UInt32] in
            guard case .records(let records) = dumped.entry else { return [] }
            return records.map(\.ttl)
        }
        #expect(dumped == [[10]])  // dump_cache too
    }

    /// A CNAME chain is stored link by link: the alias answers through its target's entry, the
    /// target answers on its own, and another type of the alias follows the same link.
    @Test func chainsAreStoredAsLinksAndFollowed() {
        var cache = AnswerCache(settings: .init())
        let outcome = QuestionOutcome.records(
            chain: [Self.link("www.test", "mid.test", ttl: 300), Self.link("mid.test", "end.test", ttl: 100)],
            records: [Self.record("end.test", ttl: 60)])
        cache.store(outcome, for: Self.key("www.test"), now: 0)
        #expect(cache.count == 3)
        guard case .hit(let found, _) = cache.answer(Self.key("WWW.test"), now: 2_000) else {
            Issue.record("the alias is not answered from its chain")
            return
        }
        #expect(found.canonicalName == "end.test" && found.aliases == ["www.test", "mid.test"])
        #expect(Self.ttls(.hit(found, refresh: false)) == [298, 98, 58])
        #expect(Self.ttls(cache.answer(Self.key("end.test"), now: 2_000)) == [58])
        #expect(Self.ttls(cache.answer(Self.key("mid.test"), now: 2_000)) == [98, 58])
        // AAAA of the alias: the links are known, the target's AAAA is not: a miss.
        #expect(Self.isMiss(cache.answer(Self.key("www.test", Self.aaaa), now: 2_000)))
        // The CNAME question itself is answered by the link, not followed.
        guard case .hit(.records(let chain, let records), _) = cache.answer(Self.key("www.test", DNSQuestion.cname), now: 0) else {
            Issue.record("the CNAME question is not answered by its link")
            return
        }
        #expect(chain.isEmpty && records.map(\.data) == [.cname(target: "mid.test")])
    }

    @Test func ttlClamps() {
        var settings = AnswerCache.Settings()
        settings.minTTL = 5
        settings.maxTTL = 20
        var cache = AnswerCache(settings: settings)
        cache.store(.records(chain: [], records: [Self.record("low", ttl: 1)]), for: Self.key("low"), now: 0)
        cache.store(.records(chain: [], records: [Self.record("high", ttl: 3600)]), for: Self.key("high"), now: 0)
        #expect(!Self.isMiss(cache.answer(Self.key("low"), now: 4_999)))  // kept for the minimum
        #expect(Self.isMiss(cache.answer(Self.key("high"), now: 20_000)))  // dropped at the maximum
    }

    /// RFC 2308: NXDOMAIN answers every type of the name; NODATA only its type; both for
    /// min(SOA TTL, SOA MINIMUM), at most the configured bound; failures are never stored.
    @Test func negativeAnswersFollowRFC2308() {
        var settings = AnswerCache.Settings()
        settings.negativeTTL = 30
        var cache = AnswerCache(settings: settings)
        cache.store(.nameError(chain: [], soa: Self.soa(ttl: 3, minimum: 60)), for: Self.key("nx.test"), now: 0)
        cache.store(.noData(chain: [], soa: Self.soa(ttl: 600, minimum: 600)), for: Self.key("nodata.test", Self.aaaa), now: 0)
        cache.store(.noData(chain: [], soa: nil), for: Self.key("nosoa.test"), now: 0)
        cache.store(.failure(ResolverError(code: .tryAgain, message: "servfail")), for: Self.key("servfail.test"), now: 0)
        for type in [Self.a, Self.aaaa, DNSQuestion.ptr] {
            guard case .hit(.nameError(_, let soa), _) = cache.answer(Self.key("nx.test", type), now: 2_000) else {
                Issue.record("NXDOMAIN does not answer type \(type)")
                continue
            }
            #expect(soa?.ttl == 1)  // the SOA's own TTL counts down too
        }
        #expect(Self.isMiss(cache.answer(Self.key("nx.test"), now: 3_000)))  // the SOA said 3 s
        guard case .hit(.noData, _) = cache.answer(Self.key("nodata.test", Self.aaaa), now: 29_999) else {
            Issue.record("NODATA not cached for the configured bound")
            return
        }
        #expect(Self.isMiss(cache.answer(Self.key("nodata.test", Self.aaaa), now: 30_000)))  // bounded by negativeTTL
        #expect(Self.isMiss(cache.answer(Self.key("nodata.test", Self.a), now: 0)))  // NODATA is per type
        #expect(!Self.isMiss(cache.answer(Self.key("nosoa.test"), now: 29_999)))  // no SOA: the configured bound
        #expect(Self.isMiss(cache.answer(Self.key("servfail.test"), now: 1)))
        #expect(cache.count == 1)  // nosoa.test: the others expired (and went when met), servfail.test was never stored
    }

    /// NXDOMAIN at the end of a chain: the links are kept, the target's "no such name" too.
    @Test func aNameErrorAtTheChainsEndKeepsTheLinks() {
        var cache = AnswerCache(settings: .init())
        cache.store(.nameError(chain: [Self.link("alias.test", "gone.test", ttl: 60)], soa: Self.soa(ttl: 30, minimum: 30)), for: Self.key("alias.test"), now: 0)
        guard case .hit(.nameError(let chain, _), _) = cache.answer(Self.key("alias.test", Self.aaaa), now: 0) else {
            Issue.record("the alias's NXDOMAIN target is not answered")
            return
        }
        #expect(chain.count == 1)
    }

    /// A chain that loops is followed no further than 16 links: a miss, not a hang.
    @Test func aLoopingChainEndsInAMiss() {
        var cache = AnswerCache(settings: .init())
        cache.store(.records(chain: [Self.link("x.test", "y.test", ttl: 60)], records: []), for: Self.key("x.test", DNSQuestion.cname), now: 0)
        cache.store(.records(chain: [], records: [Self.link("x.test", "y.test", ttl: 60)]), for: Self.key("x.test", DNSQuestion.cname), now: 0)
        cache.store(.records(chain: [], records: [Self.link("y.test", "x.test", ttl: 60)]), for: Self.key("y.test", DNSQuestion.cname), now: 0)
        #expect(Self.isMiss(cache.answer(Self.key("x.test"), now: 1)))
    }

    @Test func aHitInTheLastTenthOfALongTTLAsksForARefresh() {
        var cache = AnswerCache(settings: .init())
        cache.store(.records(chain: [], records: [Self.record("r", ttl: 100)]), for: Self.key("r"), now: 0)
        cache.store(.records(chain: [], records: [Self.record("short", ttl: 5)]), for: Self.key("short"), now: 0)
        guard case .hit(_, let early) = cache.answer(Self.key("r"), now: 89_000), case .hit(_, let late) = cache.answer(Self.key("r"), now: 91_000),
              case .hit(_, let short) = cache.answer(Self.key("short"), now: 4_900) else {
            Issue.record("not hits")
            return
        }
        #expect(!early && late && !short)  // under 10 s of TTL: never prefetched
    }

    @Test func evictsTheLeastRecentlyUsedAtTheEntryBound() {
        var settings = AnswerCache.Settings()
        settings.maxEntries = 3
        var cache = AnswerCache(settings: settings)
        for name in ["a", "b", "c"] { cache.store(.records(chain: [], records: [Self.record(name, ttl: 60)]), for: Self.key(name), now: 0) }
        _ = cache.answer(Self.key("a"), now: 1)  // a is now the most recently used
        cache.store(.records(chain: [], records: [Self.record("d", ttl: 60)]), for: Self.key("d"), now: 2)
        #expect(cache.count == 3 && cache.evictions == 1)
        #expect(Self.isMiss(cache.answer(Self.key("b"), now: 3)))  // b was the least recently used
        #expect(!Self.isMiss(cache.answer(Self.key("a"), now: 3)))
        #expect(!Self.isMiss(cache.answer(Self.key("d"), now: 3)))
    }

    /// Record data counts against the byte bound: ten answers of 40 KB of TXT each under a
    /// 100 KB bound leave at most two cached, not all ten at a few hundred bytes apiece.
    @Test func recordDataCountsAgainstTheByteBound() {
        var settings = AnswerCache.Settings()
        settings.maxBytes = 100_000
        var cache = AnswerCache(settings: settings)
        let strings = Array(repeating: String(repeating: "x", count: 255), count: 160)  // 40,800 bytes of text
        let txt = DNSQuestion(name: "t", type: DNSRecordType.txt.number).type
        for index in 0..<10 {
            let big = QuestionOutcome.records(chain: [], records: [DNSRecord(name: "t\(index)", ttl: 60, data: .txt(strings: strings))])
            cache.store(big, for: Self.key("t\(index)", txt), now: 0)
            #expect(cache.bytes >= 40_800 * min(cache.count, 1), "an entry counts its TXT bytes")
        }
        #expect(cache.bytes <= 100_000)
        #expect(cache.count <= 2 && cache.evictions >= 8)
        #expect(!Self.isMiss(cache.answer(Self.key("t9", txt), now: 1)))
    }

    @Test func flushEmptiesEverything() {
        var cache = AnswerCache(settings: .init())
        for index in 0..<10 { cache.store(.records(chain: [], records: [Self.record("n\(index)", ttl: 60)]), for: Self.key("n\(index)"), now: 0) }
        #expect(cache.flush() == 10)
        #expect(cache.count == 0 && cache.bytes == 0)
        #expect(Self.isMiss(cache.answer(Self.key("n1"), now: 1)))
    }
}

/// Serve-stale in the cache (docs/cache.md): expired positive entries kept for `maxStale`.
@Suite struct AnswerCacheStaleTests {
    private func settings(maxStale: UInt32) -> AnswerCache.Settings {
        var settings = AnswerCache.Settings()
        settings.maxStale = maxStale
        return settings
    }

    @Test func anExpiredAnswerIsAMissButIsKeptForServeStaleWithTTL30() {
        var cache = AnswerCache(settings: settings(maxStale: 60))
        let chain = [AnswerCacheTests.link("alias", "a", ttl: 20)]
        cache.store(.records(chain: chain, records: [AnswerCacheTests.record("a", ttl: 10)]), for: AnswerCacheTests.key("alias"), now: 0)
        #expect(cache.staleAnswer(AnswerCacheTests.key("alias"), now: 5_000) != nil)  // fresh entries too: the upstream failed
        guard case .miss(staleKept: true) = cache.answer(AnswerCacheTests.key("alias"), now: 10_000) else {
            Issue.record("an expired answer within maxStale is not reported as kept")
            return
        }
        #expect(cache.count == 2)
        guard case .records(let staleChain, let records)? = cache.staleAnswer(AnswerCacheTests.key("alias"), now: 69_999) else {
            Issue.record("no stale answer within maxStale")
            return
        }
        #expect((staleChain + records).map(\.ttl) == [30, 30])
        #expect(cache.staleAnswer(AnswerCacheTests.key("alias"), now: 70_000) == nil)  // 10 s TTL + 60 s
        #expect(AnswerCacheTests.isMiss(cache.answer(AnswerCacheTests.key("a"), now: 70_000)))  // and then dropped
    }

    @Test func negativeAnswersAreNeverServedStale() {
        var cache = AnswerCache(settings: settings(maxStale: 60))
        cache.store(.nameError(chain: [], soa: nil), for: AnswerCacheTests.key("nx"), now: 0)
        #expect(cache.staleAnswer(AnswerCacheTests.key("nx"), now: 1_000) == nil)
        #expect(AnswerCacheTests.isMiss(cache.answer(AnswerCacheTests.key("nx"), now: 30_000)))  // expired (negative TTL 30 s) and dropped
        #expect(cache.count == 0)
    }

    @Test func maxStaleZeroKeepsNothingPastExpiry() {
        var cache = AnswerCache(settings: settings(maxStale: 0))
        cache.store(.records(chain: [], records: [AnswerCacheTests.record("a", ttl: 10)]), for: AnswerCacheTests.key("a"), now: 0)
        #expect(AnswerCacheTests.isMiss(cache.answer(AnswerCacheTests.key("a"), now: 10_000)))
        #expect(cache.staleAnswer(AnswerCacheTests.key("a"), now: 10_000) == nil)
        #expect(cache.count == 0)
    }
}
