import ResolvdProtocol
import ResolverCore
import Testing

@testable import ResolvdServer

/// The composed answers on their own, over a real ``AnswerCache``: served only while every
/// entry they were made from holds, unchanged and live.
@Suite struct ComposedAnswersTests {
    static let key = ComposedAnswers.Key(.query(name: "a.test", type: .a, timeout: .milliseconds(300)))
    static let value = LookupValue.query(QueryAnswer(records: [AnswerCacheTests.record("a.test", ttl: 100)]))

    /// A cache with a.test A stored at 0 for 100 s, and its dependency as the cache reports it.
    static func cache() -> (AnswerCache, [ComposedAnswers.Dependency]) {
        var cache = AnswerCache(settings: .init())
        cache.store(.records(chain: [], records: [AnswerCacheTests.record("a.test", ttl: 100)]), for: AnswerCacheTests.key("a.test"), now: 0)
        var dependencies: [ComposedAnswers.Dependency] = []
        _ = cache.answer(AnswerCacheTests.key("a.test"), now: 0, recording: &dependencies)
        return (cache, dependencies)
    }

    @Test func servedWhileItsEntryHoldsWithTheTTLCountedDown() {
        var (cache, dependencies) = Self.cache()
        var composed = ComposedAnswers(settings: .init())
        composed.store(Self.key, Self.value, madeFrom: dependencies, now: 0)
        // The request's timeout is the op's, not part of the answer's key.
        let sameWithoutTimeout = ComposedAnswers.Key(.query(name: "a.test", type: .a, timeout: nil))
        guard case .query(let answer)? = composed.answer(sameWithoutTimeout, now: 5_500, cache: &cache) else {
            Issue.record("not served")
            return
        }
        #expect(answer.records.map(\.ttl) == [95])
        #expect(dependencies.count == 1)
    }

    /// A `now` read before another thread composed the answer (the clock is read before
    /// the lock): served at its full TTL, not an arithmetic trap.
    @Test func servedAtItsFullTTLToALookupThatReadTheClockBeforeItWasComposed() {
        var (cache, dependencies) = Self.cache()
        var composed = ComposedAnswers(settings: .init())
        composed.store(Self.key, Self.value, madeFrom: dependencies, now: 3_000)
        guard case .query(let answer)? = composed.answer(Self.key, now: 2_999, cache: &cache) else {
            Issue.record("not served")
            return
        }
        #expect(answer.records.map(\.ttl) == [100])
    }

    @Test func aReplacedEntryMakesItAMiss() {
        var (cache, dependencies) = Self.cache()
        var composed = ComposedAnswers(settings: .init())
        composed.store(Self.key, Self.value, madeFrom: dependencies, now: 0)
        // The same question stored again (a refresh): another stamp.
        cache.store(.records(chain: [], records: [AnswerCacheTests.record("a.test", ttl: 100, "192.0.2.2")]), for: AnswerCacheTests.key("a.test"), now: 1_000)
        #expect(composed.answer(Self.key, now: 2_000, cache: &cache) == nil)
        #expect(composed.count == 0, "dropped when found stale")
    }

    @Test func notServedFromTheLastTenthOfTheTTLSoThatThePrefetchHitIsSeen() {
        var (cache, dependencies) = Self.cache()
        var composed = ComposedAnswers(settings: .init())
        composed.store(Self.key, Self.value, madeFrom: dependencies, now: 0)
        #expect(composed.answer(Self.key, now: 89_999, cache: &cache) != nil)
        #expect(composed.answer(Self.key, now: 90_001, cache: &cache) == nil)
    }

    @Test func aFlushedCacheServesNothing() {
        var (cache, dependencies) = Self.cache()
        var composed = ComposedAnswers(settings: .init())
        composed.store(Self.key, Self.value, madeFrom: dependencies, now: 0)
        cache.flush()
        #expect(composed.answer(Self.key, now: 1, cache: &cache) == nil)
    }

    /// An answer names its entries by slot and stamp: an evicted entry's slot, free or taken by
    /// another question's entry, holds nothing it was made from.
    @Test func anEvictedEntryMakesItAMissWhetherItsSlotIsFreeOrReused() {
        var settings = AnswerCache.Settings()
        settings.maxEntries = 1
        var cache = AnswerCache(settings: settings)
        cache.store(.records(chain: [], records: [AnswerCacheTests.record("a.test", ttl: 100)]), for: AnswerCacheTests.key("a.test"), now: 0)
        var dependencies: [ComposedAnswers.Dependency] = []
        _ = cache.answer(AnswerCacheTests.key("a.test"), now: 0, recording: &dependencies)
        var composed = ComposedAnswers(settings: .init())
        composed.store(Self.key, Self.value, madeFrom: dependencies, now: 0)
        #expect(composed.answer(Self.key, now: 1, cache: &cache) != nil)
        // b.test takes a new slot and evicts a.test: a.test's slot is free.
        cache.store(.records(chain: [], records: [AnswerCacheTests.record("b.test", ttl: 100)]), for: AnswerCacheTests.key("b.test"), now: 2)
        #expect(cache.count == 1)
        composed.store(Self.key, Self.value, madeFrom: dependencies, now: 2)
        #expect(composed.answer(Self.key, now: 3, cache: &cache) == nil, "served from a free slot")
        // c.test takes a.test's old slot (b.test is evicted).
        cache.store(.records(chain: [], records: [AnswerCacheTests.record("c.test", ttl: 100)]), for: AnswerCacheTests.key("c.test"), now: 4)
        composed.store(Self.key, Self.value, madeFrom: dependencies, now: 4)
        #expect(composed.answer(Self.key, now: 5, cache: &cache) == nil, "served from another question's entry")
    }

    @Test func boundedByAQuarterOfTheCachesEntries() {
        var settings = AnswerCache.Settings()
        settings.maxEntries = 40
        let (_, dependencies) = Self.cache()
        var composed = ComposedAnswers(settings: settings)
        for index in 0..<100 {
            composed.store(ComposedAnswers.Key(.query(name: "n\(index).test", type: .a, timeout: nil)), Self.value, madeFrom: dependencies, now: 0)
        }
        #expect(composed.count == 10)
        #expect(composed.bytes > 0 && composed.bytes <= settings.maxBytes / 4)
    }
}
