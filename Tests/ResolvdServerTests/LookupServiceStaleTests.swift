import ResolverCore
import ResolverTesting
import Testing

@testable import ResolvdServer

#if canImport(Glibc)
import Glibc
#endif

/// Serve-stale and prefetch compose with coalescing and cancellation (docs/cache.md): the
/// refresh is an ordinary shared lookup, a waiter answered stale or cancelled never cancels
/// it, and every waiter gets exactly one completion.
@Suite(.serialized) struct LookupServiceStaleTests {
    typealias Log = LookupServiceTests.Log

    @Test func staleAndCancelledWaitersNeverCancelTheRefresh() throws {
        let unbound = try UnboundServer.start()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop(); unbound.stop() }
        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: proxy.serverAddress)])
        (configuration.servicesFile, configuration.protocolsFile) = try HermeticDatabases.shared()
        configuration.hostsFile = nil
        configuration.timeoutPerTry = .seconds(5)
        var settings = AnswerCache.Settings()
        (settings.maxTTL, settings.maxStale, settings.staleAnswerAfterMilliseconds) = (1, 60, 200)
        let service = LookupService(resolver: try Resolver(configuration: configuration), cacheEnabled: true, settings: settings)
        let key = LookupKey.query(name: "www.example.test", type: .a, timeout: nil)

        let fresh = Log()
        _ = service.start(key, completion: fresh.handler)
        #expect(fresh.wait())
        usleep(1_100_000)  // expired; kept for serve-stale
        proxy.hold()

        let staleOK = Log()
        let noStale1 = Log()
        let noStale2 = Log()
        _ = service.start(key, allowsStale: true, completion: staleOK.handler)
        let token1 = service.start(key, allowsStale: false, completion: noStale1.handler)
        let token2 = service.start(key, allowsStale: false, completion: noStale2.handler)
        #expect(service.statistics.coalesced == 2 && proxy.waitUntil(queriesForwarded: 2))
        #expect(staleOK.wait())  // at the 200 ms timer
        guard case .success(.stale(.query(let answer)))? = staleOK.results.withLockedValue({ $0.first }) else {
            Issue.record("not answered stale: \(staleOK.results.withLockedValue { $0 })")
            return
        }
        #expect(answer.records.map(\.ttl) == [30])
        #expect(noStale1.count == 0 && noStale2.count == 0)  // they wait for the real outcome
        #expect(service.cancel(token1, with: .cancelled) && service.cancel(token2, with: .cancelled))
        #expect(noStale1.code == .cancelled && noStale2.code == .cancelled)

        // The last waiter left: the refresh goes on, detached, and fills the cache.
        proxy.release()
        #expect(proxy.waitUntil(queriesForwarded: 2) && waitUntilRelayed(proxy, 2))
        var refreshed: Log
        var attempts = 0
        repeat {
            usleep(20_000)
            refreshed = Log()
            _ = service.start(key, completion: refreshed.handler)
            attempts += 1
        } while refreshed.count == 0 && attempts < 50
        guard case .success(.query(let fresher))? = refreshed.results.withLockedValue({ $0.first }) else {
            Issue.record("the refresh did not fill the cache: \(refreshed.results.withLockedValue { $0 })")
            return
        }
        #expect((fresher.records.first?.ttl ?? 0) > 30, "a fresh answer, not the stale one")
        #expect(proxy.queriesForwarded == 2, "the refresh answered: no other upstream query")
        #expect([staleOK.count, noStale1.count, noStale2.count, fresh.count] == [1, 1, 1, 1])
        #expect(service.statistics.staleAnswers == 1)
    }

    private func waitUntilRelayed(_ proxy: DelayingProxy, _ count: Int) -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while proxy.repliesRelayed < count && ContinuousClock.now < deadline { usleep(5_000) }
        return proxy.repliesRelayed >= count
    }
}
