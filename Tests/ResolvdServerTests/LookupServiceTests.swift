import Dispatch
import NIOConcurrencyHelpers
import ResolverCore
import ResolverTesting
import Testing

@testable import ResolvdServer

#if canImport(Glibc)
import Glibc
#endif

/// Coalescing and caching against a real upstream (unbound behind a delaying proxy).
@Suite struct LookupServiceTests {
    final class Log: Sendable {
        let results = NIOLockedValueBox<[Result<LookupValue, ResolverError>]>([])
        var handler: LookupService.Completion { { result in self.results.withLockedValue { $0.append(result) } } }
        var count: Int { results.withLockedValue { $0.count } }
        var code: ResultCode? {
            results.withLockedValue { results in
                guard let first = results.first else { return nil }
                switch first {
                case .success: return .noError
                case .failure(let error): return error.code
                }
            }
        }

        func wait(timeout: Duration = .seconds(10)) -> Bool {
            let deadline = ContinuousClock.now + timeout
            while count == 0 && ContinuousClock.now < deadline { usleep(5_000) }
            return count > 0
        }
    }

    private func service(delay: Duration, cacheEnabled: Bool = true) throws -> (LookupService, DelayingProxy, UnboundServer) {
        let unbound = try UnboundServer.start()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: delay)
        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: proxy.serverAddress)])
        (configuration.servicesFile, configuration.protocolsFile) = try HermeticDatabases.shared()
        configuration.hostsFile = nil
        configuration.timeoutPerTry = .seconds(5)
        let resolver = try Resolver(configuration: configuration)
        return (LookupService(resolver: resolver, cacheEnabled: cacheEnabled, settings: .init()), proxy, unbound)
    }

    /// An op's `timeout_ms` is kept in whole milliseconds, and one timer serves every op's
    /// deadline: re-armed in the middle of a millisecond, it fired before a deadline that had
    /// been truncated to the millisecond had passed (CI once saw a 100 ms lookup answered
    /// 10060 after 99.8 ms). 40 lookups against a silent upstream, started 0.37 ms apart
    /// (so their deadlines fall at different points of a millisecond) with timeouts 20–59 ms:
    /// each is answered no sooner than its timeout after its start call.
    @Test func aTimeoutIsNeverAnsweredBeforeItHasPassed() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: silent.serverAddress)])
        (configuration.servicesFile, configuration.protocolsFile) = try HermeticDatabases.shared()
        configuration.hostsFile = nil
        configuration.timeoutPerTry = .seconds(5)
        let service = LookupService(resolver: try Resolver(configuration: configuration), cacheEnabled: true, settings: .init())
        let count = 40
        let answered = NIOLockedValueBox<[Int: (ResultCode?, ContinuousClock.Instant)]>([:])
        var started: [ContinuousClock.Instant] = []
        for index in 0..<count {
            let key = LookupKey.query(name: "early\(index).example.test", type: .a, timeout: .milliseconds(20 + index))
            started.append(ContinuousClock.now)
            _ = service.start(key) { result in
                let now = ContinuousClock.now
                let code: ResultCode? = if case .failure(let error) = result { error.code } else { nil }
                answered.withLockedValue { $0[index] = (code, now) }
            }
            // Spaced out by spinning, not sleeping: the gap only spreads the deadlines.
            let next = ContinuousClock.now + .microseconds(370)
            while ContinuousClock.now < next {}
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while answered.withLockedValue({ $0.count }) < count && ContinuousClock.now < deadline { usleep(5_000) }
        let results = answered.withLockedValue { $0 }
        #expect(results.count == count)
        for index in 0..<count {
            guard let (code, at) = results[index] else { continue }
            #expect(code == .timedOut)
            let took = at - started[index]
            #expect(took >= .milliseconds(20 + index), "lookup \(index) (\(20 + index) ms) answered 10060 after \(took)")
        }
    }

    /// Two callers, one upstream query; cancelling one never disturbs the other.
    @Test func cancellingOneOfTwoCallers() throws {
        let (service, proxy, unbound) = try service(delay: .milliseconds(200))
        defer { proxy.stop(); unbound.stop() }
        let key = LookupKey.query(name: "www.example.test", type: .a, timeout: nil)
        let first = Log()
        let second = Log()
        let firstToken = service.start(key, completion: first.handler)
        _ = service.start(key, completion: second.handler)
        #expect(service.statistics.coalesced == 1)
        #expect(service.cancel(firstToken, with: .cancelled))
        #expect(first.count == 1 && first.code == .cancelled)  // answered before cancel returned
        #expect(!service.cancel(firstToken, with: .cancelled))
        #expect(second.wait())
        #expect(second.code == .noError)
        #expect(first.count == 1)
        #expect(proxy.repliesRelayed == 1)  // one upstream query for both
    }

    /// When the last caller cancels, the query is detached and its late answer fills the cache.
    @Test func detachedQueryStillFillsTheCache() throws {
        let (service, proxy, unbound) = try service(delay: .milliseconds(200))
        defer { proxy.stop(); unbound.stop() }
        let key = LookupKey.query(name: "www.example.test", type: .aaaa, timeout: nil)
        let log = Log()
        let token = service.start(key, completion: log.handler)
        #expect(service.cancel(token, with: .cancelled))
        #expect(log.code == .cancelled)
        let deadline = ContinuousClock.now + .seconds(5)
        while service.statistics.entries == 0 && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(service.statistics.entries == 1)
        let later = Log()
        _ = service.start(key, completion: later.handler)
        #expect(later.count == 1 && later.code == .noError)  // a hit completes at once
        #expect(service.statistics.hits == 1)
        #expect(proxy.repliesRelayed == 1)
    }

    @Test func disabledCacheStillCoalesces() throws {
        let (service, proxy, unbound) = try service(delay: .milliseconds(100), cacheEnabled: false)
        defer { proxy.stop(); unbound.stop() }
        let key = LookupKey.addressInfo(AddressInfoRequest(name: "www.example.test", family: .inet))
        let first = Log()
        let joined = Log()
        _ = service.start(key, completion: first.handler)
        _ = service.start(key, completion: joined.handler)
        #expect(first.wait() && joined.wait())
        #expect(service.statistics.coalesced == 1)
        #expect(proxy.repliesRelayed == 1)
        let again = Log()
        _ = service.start(key, completion: again.handler)
        #expect(again.wait())
        #expect(again.code == .noError)
        #expect(proxy.repliesRelayed == 2)  // no cache: upstream again
        #expect(service.statistics.entries == 0 && service.statistics.hits == 0)
    }
}

/// Detached lookups are capped: beyond the cap, a lookup whose last waiter left keeps its
/// owner's slot and runs on (orphaned), so that lookups started and cancelled against an
/// upstream that never answers are bounded by the detached cap plus the owner's share, and
/// the rest never reach the upstream at all.
@Suite struct LookupServiceDetachCapTests {
    @Test func lookupsStartedAndCancelledAreBoundedByTheDetachedCapAndTheShare() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: silent.serverAddress)])
        (configuration.servicesFile, configuration.protocolsFile) = try HermeticDatabases.shared()
        configuration.hostsFile = nil
        configuration.timeoutPerTry = .seconds(60)
        configuration.tries = 1
        let resolver = try Resolver(configuration: configuration)
        let perUID = 40
        let service = LookupService(resolver: resolver, cacheEnabled: true, settings: .init(), upstreamLookupsPerUID: perUID)
        let limit = LookupService.detachedLimit(resolver)
        let total = limit + perUID + 1_000
        let answered = NIOLockedValueBox(0)
        for index in 0..<total {
            let token = service.start(.query(name: "d\(index).example.test", type: .a, timeout: nil), owner: 65534, connection: 1) { result in
                if case .failure(let error) = result, error.code == .cancelled { answered.withLockedValue { $0 += 1 } }
            }
            #expect(service.cancel(token, with: .cancelled))
        }
        #expect(answered.withLockedValue { $0 } == total)  // every waiter got its 10111
        let orphans = ShareOwner(uid: 65534, connection: 1)
        let share = UpstreamShare<SharedLookup>(perUID: perUID).perConnection
        // The detached ones, plus the orphans that keep the connection's part of the share.
        #expect(resolver.pendingCount == limit + share, "\(resolver.pendingCount) running (cap \(limit), share \(share))")
        #expect(service.upstreamShareSnapshot[65534]?.inFlight == share && service.upstreamShareSnapshot[65534]?.waiting == 0,
                "\(service.upstreamShareSnapshot) \(orphans)")
        resolver.shutdown()
    }
}
