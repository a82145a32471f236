import Dispatch
import ResolverTesting
import Testing

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// Failover (docs/reliability.md, "When upstreams fail"): a failing first upstream is
/// learnt within a few lookups, then asked after the healthy one — no lookup waits a try
/// on it — is probed, and is asked first again once it answers. Every wait is on state the
/// resolver reports (``Resolver/upstreamStatuses``) or on an upstream's query count.
@Suite(.serialized) struct UpstreamFailoverTests {
    /// Short per-try timeout: a try on the silent upstream costs 150 ms.
    static let timeout = Duration.milliseconds(150)

    static func resolver(_ upstreams: [String], probeInterval: Duration = .seconds(60)) throws -> Resolver {
        var configuration = try Fixtures.configuration(upstream: upstreams[0], timeoutPerTry: timeout, tries: 2)
        configuration.servers = try upstreams.map { try DNSServerAddress(parsing: $0) }
        configuration.upstreamProbeInterval = probeInterval
        return try Resolver(configuration: configuration)
    }

    /// Cold lookups of distinct names (a wildcard in the test zone): milliseconds each, sorted.
    static func lookupTimes(_ resolver: Resolver, count: Int, tag: String) async throws -> [Double] {
        var times: [Double] = []
        for index in 0..<count {
            let started = MonotonicClock.now()
            let answer = try await resolver.query("\(tag)\(index).wild.example.test", type: .a)
            #expect(!answer.records.isEmpty)
            times.append(Double(MonotonicClock.now() - started) / 1e6)
        }
        return times.sorted()
    }

    static func p99(_ sorted: [Double]) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))] }

    /// Runs lookups until upstream `index` is reported down; false if it never is. Prints
    /// how many lookups and how long that took (docs/reliability.md quotes it).
    static func learn(_ resolver: Resolver, downIndex index: Int, tag: String) async throws -> Bool {
        let started = MonotonicClock.now()
        for attempt in 0..<20 {
            if !resolver.upstreamStatuses[index].up {
                print("failover \(tag): down after \(attempt) lookups, \((MonotonicClock.now() - started) / 1_000_000) ms")
                return true
            }
            _ = try? await resolver.query("\(tag)learn\(attempt).wild.example.test", type: .a)
        }
        return !resolver.upstreamStatuses[index].up
    }

    static func report(_ tag: String, _ sorted: [Double]) {
        func at(_ p: Double) -> Int { Int(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000) }
        print("failover \(tag): \(sorted.count) cold lookups, p50 \(at(0.5)) µs, p99 \(at(0.99)) µs, max \(at(1.0)) µs")
    }

    static func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.deadline(after: timeout)
        while MonotonicClock.now() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    /// p99 of cold lookups with the healthy upstream alone, on this machine now.
    static func healthyP99(_ unbound: UnboundServer) async throws -> Double {
        let baseline = try Self.resolver([unbound.serverAddress])
        defer { baseline.shutdown() }
        let times = try await Self.lookupTimes(baseline, count: 100, tag: "base")
        Self.report("healthy-only", times)
        return Self.p99(times)
    }

    @Test func silentFirstUpstreamIsLearntAndSkipped() async throws {
        let unbound = try Fixtures.unbound()
        let healthy = try await Self.healthyP99(unbound)

        let silent = try SilentUpstream.start()
        let resolver = try Self.resolver([silent.serverAddress, unbound.serverAddress])
        #expect(try await Self.learn(resolver, downIndex: 0, tag: "silent"))
        let triesBefore = resolver.upstreamStatuses[0].queries
        let times = try await Self.lookupTimes(resolver, count: 200, tag: "silent")
        Self.report("silent-first", times)
        let statuses = resolver.upstreamStatuses
        #expect(Self.p99(times) <= 50 + healthy, "p99 \(Self.p99(times)) ms, healthy p99 \(healthy) ms")
        #expect(statuses[0].queries == triesBefore, "no try went to the silent upstream once it was down")
        #expect(statuses[0].timeouts >= 2 && !statuses[0].up)
        #expect(statuses[1].up && statuses[1].answers >= 200 && statuses[1].roundTripP50Microseconds > 0)
        #expect(statuses[1].roundTripP99Microseconds >= statuses[1].roundTripP50Microseconds)
        resolver.shutdown()
        silent.stop()
    }

    @Test(arguments: [FailingUpstream.Failure.serverFailure, .refused])
    func failingFirstUpstreamIsLearntAndSkipped(failure: FailingUpstream.Failure) async throws {
        let unbound = try Fixtures.unbound()
        let healthy = try await Self.healthyP99(unbound)
        let failing = try FailingUpstream.start(failure: failure)
        let resolver = try Self.resolver([failing.serverAddress, unbound.serverAddress])
        #expect(try await Self.learn(resolver, downIndex: 0, tag: "fail\(failure.rawValue)"))
        let received = failing.queriesReceived
        let times = try await Self.lookupTimes(resolver, count: 200, tag: "fail\(failure.rawValue)")
        Self.report("fail\(failure.rawValue)-first", times)
        #expect(Self.p99(times) <= 50 + healthy, "p99 \(Self.p99(times)) ms, healthy p99 \(healthy) ms")
        #expect(failing.queriesReceived == received, "no query went to the failing upstream once it was down")
        let status = resolver.upstreamStatuses[0]
        #expect(failure == .serverFailure ? status.serverFailures >= 2 : status.refused >= 2)
        resolver.shutdown()
        failing.stop()
    }

    @Test func aDownUpstreamIsProbedAndAskedFirstAgainWhenItAnswers() async throws {
        let unbound = try Fixtures.unbound()
        // The first upstream is a proxy to the same unbound whose gate holds every reply: silent.
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        proxy.hold()
        let resolver = try Self.resolver([proxy.serverAddress, unbound.serverAddress], probeInterval: .milliseconds(200))
        #expect(try await Self.learn(resolver, downIndex: 0, tag: "back"))
        proxy.release()
        // The prober asks it within one probe interval (plus a timeout if a probe was under way).
        #expect(Self.waitUntil(timeout: .seconds(5)) { resolver.upstreamStatuses[0].up }, "\(resolver.upstreamStatuses)")
        let status = resolver.upstreamStatuses[0]
        #expect(status.probes >= 1)
        let forwarded = proxy.queriesForwarded
        _ = try await Self.lookupTimes(resolver, count: 20, tag: "back")
        #expect(proxy.queriesForwarded >= forwarded + 20, "the recovered first upstream answers the lookups again")
        resolver.shutdown()
        proxy.stop()
    }

    /// A truncated UDP answer and its TCP retry (c-ares 1.18 sends no EDNS): both seen on
    /// the wire, the TCP reply found behind its length prefix, no try counted as timed out.
    @Test func truncatedAnswerAndItsTCPRetryAreCountedNotTimedOut() async throws {
        let unbound = try Fixtures.unbound()
        let resolver = try Self.resolver([unbound.serverAddress])
        defer { resolver.shutdown() }
        let answer = try await resolver.query("big.example.test", type: .a)
        #expect(answer.records.count == Zone.bigRecordCount)
        let status = resolver.upstreamStatuses[0]
        #expect(status.truncated == 1 && status.queries == 2 && status.answers == 2, "\(status)")
        #expect(status.timeouts == 0 && status.errors == 0 && status.up && status.roundTripP50Microseconds > 0)
    }

    @Test func theOnlyUpstreamDiesAndReturns() async throws {
        let first = try UnboundServer.start()
        let port = first.port
        let resolver = try Self.resolver([first.serverAddress], probeInterval: .milliseconds(200))
        _ = try await Self.lookupTimes(resolver, count: 5, tag: "only")
        first.stop()
        for index in 0..<3 {
            #expect(await errorCode { try await resolver.query("dead\(index).wild.example.test", type: .a) } != nil)
        }
        #expect(Self.waitUntil { !resolver.upstreamStatuses[0].up })
        let second = try UnboundServer.start(port: port)
        // Up again within one probe interval (plus the probe's own timeout), and answering.
        #expect(Self.waitUntil(timeout: .milliseconds(200 * 8 + 150 + 500)) { resolver.upstreamStatuses[0].up })
        _ = try await Self.lookupTimes(resolver, count: 5, tag: "again")
        #expect(resolver.upstreamStatuses[0].errors + resolver.upstreamStatuses[0].timeouts >= 2)
        resolver.shutdown()
        second.stop()
    }
}
