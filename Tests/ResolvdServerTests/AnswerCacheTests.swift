import ResolverCore
import Testing

@testable import ResolvdServer

/// The cache on its own, with an explicit clock (milliseconds): no sleeping.
@Suite struct AnswerCacheTests {
    private func answer(_ name: String, ttl: UInt32) -> LookupValue {
        .query(QueryAnswer(records: [DNSRecord(name: name, ttl: ttl, data: .a(address: "192.0.2.1"))]))
    }

    private func key(_ name: String) -> HashedKey {
        HashedKey(.query(name: name, type: .a, timeout: nil))
    }

    private func ttl(_ cached: AnswerCache.Answer?) -> UInt32? {
        guard case .value(.query(let answer))? = cached else { return nil }
        return answer.records.first?.ttl
    }

    @Test func answersCarryTheRemainingTTLAndExpire() {
        var cache = AnswerCache(settings: .init())
        cache.store(key("a"), result: .success(answer("a", ttl: 10)), now: 1_000)
        #expect(ttl(cache.lookup(key("a"), now: 1_000)) == 10)
        #expect(ttl(cache.lookup(key("a"), now: 4_500)) == 7)  // 3.5 s later: 3 whole seconds gone
        #expect(cache.lookup(key("a"), now: 11_000) == nil)  // expired
        #expect(cache.count == 0)
        #expect(cache.hits == 2 && cache.misses == 1)
    }

    @Test func ttlClamps() {
        var settings = AnswerCache.Settings()
        settings.minTTL = 5
        settings.maxTTL = 20
        var cache = AnswerCache(settings: settings)
        cache.store(key("low"), result: .success(answer("low", ttl: 1)), now: 0)
        cache.store(key("high"), result: .success(answer("high", ttl: 3600)), now: 0)
        #expect(cache.lookup(key("low"), now: 4_999) != nil)  // kept for the minimum
        #expect(cache.lookup(key("high"), now: 20_000) == nil)  // dropped at the maximum
    }

    @Test func negativeAnswersUseTheSmallerOfConfigAndSOA() {
        var settings = AnswerCache.Settings()
        settings.negativeTTL = 30
        var cache = AnswerCache(settings: settings)
        var fromZone = ResolverError(code: .hostNotFound, message: "nx")
        fromZone.negativeTTL = 3
        cache.store(key("nx"), result: .failure(fromZone), now: 0)
        cache.store(key("nodata"), result: .failure(ResolverError(code: .noData, message: "nodata")), now: 0)
        cache.store(key("servfail"), result: .failure(ResolverError(code: .tryAgain, message: "try")), now: 0)
        guard case .failure(let error)? = cache.lookup(key("nx"), now: 2_999) else {
            Issue.record("negative answer not cached")
            return
        }
        #expect(error.code == .hostNotFound)
        #expect(cache.lookup(key("nx"), now: 3_000) == nil)  // the SOA said 3 s
        #expect(cache.lookup(key("nodata"), now: 29_999) != nil)  // config: 30 s
        #expect(cache.lookup(key("servfail"), now: 1) == nil)  // never cached
    }

    @Test func evictsTheLeastRecentlyUsedAtTheEntryBound() {
        var settings = AnswerCache.Settings()
        settings.maxEntries = 3
        var cache = AnswerCache(settings: settings)
        for name in ["a", "b", "c"] { cache.store(key(name), result: .success(answer(name, ttl: 60)), now: 0) }
        _ = cache.lookup(key("a"), now: 1)  // a is now the most recently used
        cache.store(key("d"), result: .success(answer("d", ttl: 60)), now: 2)
        #expect(cache.count == 3 && cache.evictions == 1)
        #expect(cache.lookup(key("b"), now: 3) == nil)  // b was the least recently used
        #expect(cache.lookup(key("a"), now: 3) != nil)
        #expect(cache.lookup(key("d"), now: 3) != nil)
    }

    @Test func evictsAtTheByteBound() {
        var settings = AnswerCache.Settings()
        settings.maxBytes = 4096
        var cache = AnswerCache(settings: settings)
        for index in 0..<200 { cache.store(key("n\(index)"), result: .success(answer("n\(index)", ttl: 60)), now: 0) }
        #expect(cache.bytes <= 4096)
        #expect(cache.evictions > 0)
        #expect(cache.count == 200 - cache.evictions)
        #expect(cache.lookup(key("n199"), now: 1) != nil)
    }

    /// Record data counts against the byte bound: ten answers of 40 KB of TXT each under a
    /// 100 KB bound leave at most two cached, not all ten at a few hundred bytes apiece.
    @Test func recordDataCountsAgainstTheByteBound() {
        var settings = AnswerCache.Settings()
        settings.maxBytes = 100_000
        var cache = AnswerCache(settings: settings)
        let strings = Array(repeating: String(repeating: "x", count: 255), count: 160)  // 40,800 bytes of text
        for index in 0..<10 {
            let big = LookupValue.query(QueryAnswer(records: [DNSRecord(name: "t\(index)", ttl: 60, data: .txt(strings: strings))]))
            cache.store(key("t\(index)"), result: .success(big), now: 0)
            #expect(cache.bytes >= 40_800 * min(cache.count, 1), "an entry counts its TXT bytes")
        }
        #expect(cache.bytes <= 100_000)
        #expect(cache.count <= 2 && cache.evictions >= 8)
        #expect(cache.lookup(key("t9"), now: 1) != nil)
    }

    @Test func flushEmptiesEverything() {
        var cache = AnswerCache(settings: .init())
        for index in 0..<10 { cache.store(key("n\(index)"), result: .success(answer("n\(index)", ttl: 60)), now: 0) }
        #expect(cache.flush() == 10)
        #expect(cache.count == 0 && cache.bytes == 0)
        #expect(cache.lookup(key("n1"), now: 1) == nil)
    }
}

extension AnswerCache.Answer: Equatable {
    public static func == (lhs: AnswerCache.Answer, rhs: AnswerCache.Answer) -> Bool {
        switch (lhs, rhs) {
        case (.failure(let a), .failure(let b)): a == b
        case (.value, .value): true
        default: false
        }
    }
}

/// Serve-stale in the cache (docs/cache.md): expired positive answers kept for `maxStale`.
@Suite struct AnswerCacheStaleTests {
    private func key(_ name: String) -> HashedKey { HashedKey(.query(name: name, type: .a, timeout: nil)) }

    private func settings(maxStale: UInt32) -> AnswerCache.Settings {
        var settings = AnswerCache.Settings()
        settings.maxStale = maxStale
        return settings
    }

    @Test func anExpiredAnswerIsAMissButIsKeptForServeStaleWithTTL30() {
        var cache = AnswerCache(settings: settings(maxStale: 60))
        let value = LookupValue.query(QueryAnswer(records: [DNSRecord(name: "a", ttl: 10, data: .a(address: "192.0.2.1"))]))
        cache.store(key("a"), result: .success(value), now: 0)
        #expect(cache.staleAnswer(key("a"), now: 5_000) != nil)  // fresh entries too: the upstream failed
        guard case .expired? = cache.lookup(key("a"), now: 10_000) else {
            Issue.record("an expired answer within maxStale is not reported as kept")
            return
        }
        #expect(cache.misses == 1 && cache.count == 1)
        guard case .stale(.query(let stale))? = cache.staleAnswer(key("a"), now: 69_999) else {
            Issue.record("no stale answer within maxStale")
            return
        }
        #expect(stale.records.map(\.ttl) == [30])
        #expect(cache.staleAnswer(key("a"), now: 70_000) == nil)  // 10 s TTL + 60 s
        #expect(cache.lookup(key("a"), now: 70_000) == nil)  // and then dropped
        #expect(cache.count == 0)
    }

    @Test func negativeAnswersAreNeverServedStale() {
        var cache = AnswerCache(settings: settings(maxStale: 60))
        cache.store(key("nx"), result: .failure(ResolverError(code: .hostNotFound, message: "nx")), now: 0)
        #expect(cache.staleAnswer(key("nx"), now: 1_000) == nil)
        #expect(cache.lookup(key("nx"), now: 30_000) == nil)  // expired (negative TTL 30 s) and dropped
        #expect(cache.count == 0)
    }

    @Test func maxStaleZeroKeepsNothingPastExpiry() {
        var cache = AnswerCache(settings: settings(maxStale: 0))
        let value = LookupValue.query(QueryAnswer(records: [DNSRecord(name: "a", ttl: 10, data: .a(address: "192.0.2.1"))]))
        cache.store(key("a"), result: .success(value), now: 0)
        #expect(cache.lookup(key("a"), now: 10_000) == nil)
        #expect(cache.staleAnswer(key("a"), now: 10_000) == nil)
        #expect(cache.count == 0)
    }
}
