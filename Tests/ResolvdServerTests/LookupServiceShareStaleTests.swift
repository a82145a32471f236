import ResolverCore
import ResolverTesting
import Testing

@testable import ResolvdServer

#if canImport(Glibc)
import Glibc
#endif

/// The per-uid upstream share (``UpstreamShare``) composed with serve-stale and prefetch
/// (docs/cache.md): a lookup waiting in its uid's queue still gets its stale answer at
/// `stale_answer_timeout_ms`, and a prefetch neither takes nor gives back a slot of any
/// share. The upstream is unbound behind a gated DelayingProxy: `hold()` makes it silent.
@Suite(.serialized) struct LookupServiceShareStaleTests {
    typealias Log = LookupServiceTests.Log

    static let uid: uid_t = 7

    private static func service(
        _ settings: AnswerCache.Settings, perUID: Int
    ) throws -> (LookupService, DelayingProxy, UnboundServer) {
        let unbound = try UnboundServer.start()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: proxy.serverAddress)])
        (configuration.servicesFile, configuration.protocolsFile) = try HermeticDatabases.shared()
        configuration.hostsFile = nil
        configuration.timeoutPerTry = .seconds(5)
        let service = LookupService(
            resolver: try Resolver(configuration: configuration), cacheEnabled: true, settings: settings, upstreamLookupsPerUID: perUID)
        return (service, proxy, unbound)
    }

    private static func query(_ name: String) -> LookupKey { .query(name: name, type: .a, timeout: nil) }

    /// The uid's one slot (`perUID: 1`) taken by a lookup on the held, silent upstream: what
    /// the uid's later uncached lookups wait behind.
    private static func takeTheOnlySlot(_ service: LookupService, _ proxy: DelayingProxy) -> Log {
        proxy.hold()
        let holder = Log()
        _ = service.start(query("v4only.example.test"), owner: uid, completion: holder.handler)
        #expect(proxy.waitUntil(repliesHeld: 1))
        return holder
    }

    @Test func aLookupWaitingForItsUIDsShareIsStillAnsweredStaleOnTime() throws {
        var settings = AnswerCache.Settings()
        (settings.maxTTL, settings.maxStale, settings.staleAnswerAfterMilliseconds) = (1, 60, 200)
        let (service, proxy, unbound) = try Self.service(settings, perUID: 1)
        defer { proxy.stop(); unbound.stop() }
        let kept = Self.query("www.example.test")
        let fresh = Log()
        _ = service.start(kept, owner: Self.uid, completion: fresh.handler)
        #expect(fresh.wait() && fresh.code == .noError)
        usleep(1_100_000)  // expired; kept for serve-stale
        let holder = Self.takeTheOnlySlot(service, proxy)
        let started = ContinuousClock.now
        let waiting = Log()
        _ = service.start(kept, owner: Self.uid, completion: waiting.handler)
        let share = service.upstreamShareSnapshot[Self.uid]
        #expect(share?.inFlight == 1 && share?.waiting == 1, "the second lookup waits in its uid's queue: \(String(describing: share))")

        #expect(waiting.wait(timeout: .seconds(3)))
        let after = ContinuousClock.now - started
        guard case .success(.stale(.query(let answer)))? = waiting.results.withLockedValue({ $0.first }) else {
            Issue.record("not answered stale: \(waiting.results.withLockedValue { $0 })")
            return
        }
        #expect(answer.records.map(\.ttl) == [30])
        // At the 200 ms timer, not when the holder's 5 s try ends and the lookup gets its turn.
        #expect(after >= .milliseconds(180) && after < .milliseconds(1_500), "answered stale after \(after)")
        #expect(holder.count == 0, "the holder still waits on the silent upstream")
        #expect(service.statistics.staleAnswers == 1)
        proxy.release()
        #expect(holder.wait())
    }

    /// A question waiting in its uid's queue is not a question in flight: another uid asking
    /// the same one starts it at once on its own share (nobody waits in another uid's queue),
    /// and the waiting one, when its turn comes, takes that one's answer — joined in flight
    /// or from the cache — so the upstream is asked once for both.
    @Test func anotherUIDsSameQuestionStartsOnItsOwnShareAndTheQueuedOneTakesItsAnswer() throws {
        let (service, proxy, unbound) = try Self.service(AnswerCache.Settings(), perUID: 1)
        defer { proxy.stop(); unbound.stop() }
        let holder = Self.takeTheOnlySlot(service, proxy)
        let queued = Log()
        _ = service.start(Self.query("www.example.test"), owner: Self.uid, completion: queued.handler)
        #expect(service.upstreamShareSnapshot[Self.uid]?.waiting == 1)
        let other = Log()
        _ = service.start(Self.query("www.example.test"), owner: Self.uid + 1, completion: other.handler)
        #expect(proxy.waitUntil(repliesHeld: 2), "the other uid's question went upstream at once")
        #expect(service.upstreamShareSnapshot[Self.uid]?.waiting == 1 && service.upstreamShareSnapshot[Self.uid + 1]?.inFlight == 1)
        #expect(queued.count == 0 && other.count == 0)
        proxy.release()
        #expect(holder.wait() && other.wait() && queued.wait())
        #expect(holder.code == .noError && other.code == .noError && queued.code == .noError)
        #expect(proxy.questionsForwarded["www.example.test 1"] == 1, "\(proxy.questionsForwarded)")
        #expect(service.upstreamShareSnapshot.isEmpty)
    }

    /// A lookup waiting in its uid's queue waits no longer than its own timeout: answered
    /// WSAETIMEDOUT at its `timeout_ms`, not when the holder's 5 s try ends and it gets its
    /// turn; it leaves the queue, is answered once, and a later identical lookup runs anew.
    @Test func aLookupWaitingForItsUIDsShareTimesOutOnItsOwnTimeout() throws {
        let (service, proxy, unbound) = try Self.service(AnswerCache.Settings(), perUID: 1)
        defer { proxy.stop(); unbound.stop() }
        let holder = Self.takeTheOnlySlot(service, proxy)

        let limited = LookupKey.query(name: "www.example.test", type: .a, timeout: .milliseconds(300))
        let started = ContinuousClock.now
        let waiting = Log()
        _ = service.start(limited, owner: Self.uid, completion: waiting.handler)
        #expect(service.upstreamShareSnapshot[Self.uid]?.waiting == 1)
        #expect(waiting.wait(timeout: .seconds(3)))
        let after = ContinuousClock.now - started
        #expect(waiting.code == .timedOut, "\(waiting.results.withLockedValue { $0 })")
        #expect(after >= .milliseconds(280) && after < .milliseconds(1_500), "answered after \(after)")
        #expect(holder.count == 0, "the holder still waits on the silent upstream")
        let share = service.upstreamShareSnapshot[Self.uid]
        #expect(share?.inFlight == 1 && share?.waiting == 0, "it left the queue: \(String(describing: share))")

        proxy.release()
        #expect(holder.wait())
        usleep(200_000)  // a second answer, or a start when the slot frees, would show by now
        #expect(waiting.count == 1)
        #expect(service.upstreamShareSnapshot[Self.uid] == nil, "the slot is free")
        let again = Log()
        _ = service.start(limited, owner: Self.uid, completion: again.handler)
        #expect(again.wait() && again.code == .noError)
    }

    /// A prefetch runs beside the share: while one is in flight, the share's bucket (nil,
    /// the one a prefetch would be charged to) is unchanged and its slot free; when it
    /// completes, it gives back no slot it never took — else the bucket's count would go
    /// below zero and let two lookups in where the share allows one. Answers are kept 10 s
    /// (prefetch needs a TTL of at least 10 s), so the test sleeps into the last second.
    @Test func aPrefetchTakesAndReleasesNoSlotOfTheShare() throws {
        var settings = AnswerCache.Settings()
        (settings.maxTTL, settings.maxStale) = (10, 0)
        let (service, proxy, unbound) = try Self.service(settings, perUID: 1)
        defer { proxy.stop(); unbound.stop() }
        let refreshed = Self.query("www.example.test")
        let stored = ContinuousClock.now
        let fresh = Log()
        _ = service.start(refreshed, owner: Self.uid, completion: fresh.handler)
        #expect(fresh.wait() && fresh.code == .noError)
        #expect(service.upstreamShareSnapshot.isEmpty)
        DaemonServeStaleTests.sleep(until: stored + .milliseconds(9_150))  // inside the last second of 10
        proxy.hold()

        let hit = Log()
        _ = service.start(refreshed, owner: Self.uid, completion: hit.handler)
        #expect(hit.count == 1 && hit.code == .noError, "answered from the cache before start returned")
        #expect(proxy.waitUntil(repliesHeld: 1) && service.statistics.prefetches == 1)
        #expect(service.upstreamShareSnapshot.isEmpty, "the prefetch took no slot: \(service.upstreamShareSnapshot)")
        // The nil bucket's one slot is free: a lookup starts at once, the next waits.
        let first = Log()
        let second = Log()
        _ = service.start(Self.query("v4only.example.test"), completion: first.handler)
        _ = service.start(Self.query("multi.example.test"), completion: second.handler)
        #expect(proxy.waitUntil(repliesHeld: 2))
        var share = service.upstreamShareSnapshot[nil]
        #expect(share?.inFlight == 1 && share?.waiting == 1, "\(String(describing: share))")

        proxy.release()
        #expect(first.wait() && second.wait())
        #expect(waitUntil { service.statistics.sharedInFlight == 0 }, "the prefetch completed")
        #expect(service.upstreamShareSnapshot.isEmpty, "every slot given back: \(service.upstreamShareSnapshot)")

        // Had the prefetch given back a slot, the share would now let two lookups in at once.
        proxy.hold()
        let third = Log()
        let fourth = Log()
        _ = service.start(Self.query("short.example.test"), completion: third.handler)
        _ = service.start(Self.query("longttl.example.test"), completion: fourth.handler)
        #expect(proxy.waitUntil(repliesHeld: 1))
        share = service.upstreamShareSnapshot[nil]
        #expect(share?.inFlight == 1 && share?.waiting == 1, "the share still allows one: \(String(describing: share))")
        proxy.release()
        #expect(third.wait() && fourth.wait())
        #expect(service.upstreamShareSnapshot.isEmpty)
    }

    /// Stress: 100 lookups of expired names wait in one uid's queue while their stale
    /// timers fire and the queue drains at the same time (the upstream released at about
    /// the timer). Each gets exactly one answer, stale or fresh, never a failure; the
    /// share ends empty. Run under TSan with the rest (docs/cache.md).
    @Test func staleTimersRacingTheQueueDrainingAnswerEachWaiterOnce() throws {
        var settings = AnswerCache.Settings()
        (settings.maxTTL, settings.maxStale, settings.staleAnswerAfterMilliseconds) = (1, 60, 200)
        let (service, proxy, unbound) = try Self.service(settings, perUID: 1)
        defer { proxy.stop(); unbound.stop() }
        let keys = (1...100).map { Self.query("n\($0).wild.example.test") }
        let fills = keys.map { _ in Log() }
        for (key, log) in zip(keys, fills) { _ = service.start(key, owner: Self.uid, completion: log.handler) }
        #expect(fills.allSatisfy { $0.wait() && $0.code == .noError })
        usleep(1_100_000)  // all expired; kept for serve-stale
        proxy.hold()

        let holder = Log()
        _ = service.start(Self.query("v4only.example.test"), owner: Self.uid, completion: holder.handler)
        #expect(proxy.waitUntil(repliesHeld: 1))
        let waiters = keys.map { _ in Log() }
        for (key, log) in zip(keys, waiters) { _ = service.start(key, owner: Self.uid, completion: log.handler) }
        #expect(service.upstreamShareSnapshot[Self.uid]?.waiting == 100)
        usleep(190_000)
        proxy.release()  // the queue drains while the timers fire

        #expect(waiters.allSatisfy { $0.wait(timeout: .seconds(5)) && $0.code == .noError })
        #expect(waitUntil { service.upstreamShareSnapshot.isEmpty }, "\(service.upstreamShareSnapshot)")
        usleep(100_000)  // time for a second completion, if there were one
        #expect(waiters.allSatisfy { $0.count == 1 } && holder.count == 1)
        let stale = waiters.filter { log in
            if case .success(.stale)? = log.results.withLockedValue({ $0.first }) { return true }
            return false
        }
        #expect(service.statistics.staleAnswers == stale.count)
    }

    private func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() && ContinuousClock.now < deadline { usleep(5_000) }
        return condition()
    }
}
