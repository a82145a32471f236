import ResolverTesting
import Testing

@testable import ResolverCore

/// A lookup submitted while its channel loop sleeps with nothing queued starts on the
/// submitting thread (``ChannelLoop``'s `startAtOnce`): the loop thread is not woken for
/// it, and what the lookup needs of the loop later — its deadline — still happens on time.
@Suite struct ChannelStartAtOnceTests {
    /// One channel whose sockets outlive the test: a channel due for replacement is left to
    /// the loop thread (a wake-up), which a slow run must not mistake for this behaviour.
    static func resolver(upstream: ScriptedUpstream, timeoutPerTry: Duration = .milliseconds(1500), tries: Int = 2) throws -> Resolver {
        var configuration = try Fixtures.configuration(upstream: upstream.serverAddress, timeoutPerTry: timeoutPerTry, tries: tries, channels: 1)
        configuration.upstreamSocketLifetime = .seconds(3600)
        return try Resolver(configuration: configuration)
    }

    @Test func lookupsOneAtATimeNeverWakeTheLoopToStart() async throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        let resolver = try Self.resolver(upstream: upstream)
        for index in 0..<20 {
            let answer = try await resolver.query("once\(index).example.test", type: .a)
            #expect(answer.records.count == 1)
        }
        #expect(upstream.queriesReceived == 20)
        // Each started on this test's thread; the loop woke only for the replies.
        #expect(resolver.channelWakeUpsForStarts == 0)
    }

    /// The loop thread releases the channel and then, under the inbox lock, decides to
    /// sleep; a submitter that finds the channel taken must find the loop awake. A new
    /// resolver's first lookup races its loop thread's first turn, where that order matters
    /// most (CI once saw a wake-up here when `loopAwake` turned false before the release).
    @Test func aFirstLookupRacingTheLoopThreadsStartNeverWakesIt() async throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        var wakeUps = 0
        for index in 0..<300 {
            let resolver = try Self.resolver(upstream: upstream)
            let answer = try await resolver.query("race\(index).example.test", type: .a)
            #expect(answer.records.count == 1)
            wakeUps += resolver.channelWakeUpsForStarts
        }
        #expect(wakeUps == 0)
    }

    @Test func aDeadlineOfALookupStartedOnASleepingLoopFiresOnTime() async throws {
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        // c-ares would next need the loop 10 s after the query; the lookup's own deadline
        // is 200 ms. The loop slept with no deadline at all when the lookup started.
        let resolver = try Self.resolver(upstream: upstream, timeoutPerTry: .seconds(10), tries: 1)
        // One lookup first, then the loop asleep with nothing planned: the case under test.
        _ = try await resolver.query("first.example.test", type: .a)
        try await Self.untilAsleep(resolver)
        let clock = ContinuousClock()
        let started = clock.now
        let lookup = Task { await errorCode { try await resolver.query("silent.example.test", type: .a, timeout: .milliseconds(200)) } }
        // A loop that was not told would sleep past the deadline and past c-ares' 10 s: this
        // cancels the lookup after 3 s, so that such a build fails (10004) instead of hanging.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(3))
            lookup.cancel()
        }
        let code = await lookup.value
        watchdog.cancel()
        let took = clock.now - started
        #expect(code == .timedOut, "the deadline did not fire within 3 s: the sleeping loop was not told")
        #expect(took >= .milliseconds(200))
        #expect(resolver.channelWakeUpsForStarts == 0)
    }

    /// Polls (every millisecond, up to 5 s) until the resolver's loops sleep idle.
    static func untilAsleep(_ resolver: Resolver) async throws {
        for _ in 0..<5000 where !resolver.channelsAsleepAndIdle {
            try await Task.sleep(for: .milliseconds(1))
        }
        try #require(resolver.channelsAsleepAndIdle)
    }
}
