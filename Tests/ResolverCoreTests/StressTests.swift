import Dispatch
import NIOConcurrencyHelpers
import ResolverTesting
import Testing

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

@Suite struct StressTests {
    /// 10,000 lookups, each cancelled at a random moment (or not at all) from another
    /// thread, while answers arrive: every lookup completes exactly once, and every
    /// cancel result agrees with how its lookup ended.
    @Test func randomCancelsAgreeWithOutcomes() throws {
        let unbound = try Fixtures.unbound()
        // A 2 ms delay keeps answers arriving while cancels fly, so both sides win often.
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .milliseconds(2))
        defer { proxy.stop() }
        let resolver = try Fixtures.resolver(upstream: proxy.serverAddress, timeoutPerTry: .seconds(5), tries: 2)
        let total = 10_000
        struct Entry {
            var completions: [ResultCode] = []
            var cancelResult: ResultCode?
            var usedAsyncCancel = false
        }
        let entries = NIOLockedValueBox([Entry](repeating: Entry(), count: total))
        let finished = DispatchSemaphore(value: 0)
        let handles = NIOLockedValueBox([LookupHandle](repeating: .zero, count: total))
        let cancellers = DispatchQueue(label: "cancellers", attributes: .concurrent)
        let (generator, seed) = SplitMix64.forTest("randomCancelsAgreeWithOutcomes")
        var random = generator
        for index in 0..<total {
            let name = "n\(index).wild.example.test"
            let handle = resolver.query(name, type: .a) { result in
                let code: ResultCode = switch result {
                case .success: .noError
                case .failure(let error): error.code
                }
                entries.withLockedValue { $0[index].completions.append(code) }
                finished.signal()
            }
            handles.withLockedValue { $0[index] = handle }
            let choice = Int.random(in: 0..<5, using: &random)
            guard choice > 0 else { continue }  // a fifth are never cancelled
            if choice == 4 {
                // At once, from the starting thread: usually before the lookup reaches its loop.
                let result = resolver.cancel(handle)
                entries.withLockedValue { $0[index].cancelResult = result }
                continue
            }
            let delay = Int.random(in: 0...6000, using: &random)  // microseconds: before, during and after the answer
            cancellers.asyncAfter(deadline: .now() + .microseconds(delay)) {
                let useAsync = choice == 2
                let result = useAsync ? resolver.cancelAsyncRequest(handle) : resolver.cancel(handle)
                entries.withLockedValue {
                    $0[index].cancelResult = result
                    $0[index].usedAsyncCancel = useAsync
                }
            }
        }
        for _ in 0..<total {
            #expect(finished.wait(timeout: .now() + 30) == .success)
        }
        cancellers.sync(flags: .barrier) {}
        usleep(100_000)
        let snapshot = entries.withLockedValue { $0 }
        var cancelled = 0
        var answered = 0
        var failed = 0
        for (index, entry) in snapshot.enumerated() {
            #expect(entry.completions.count == 1, "lookup \(index) completed \(entry.completions.count) times (seed \(seed))")
            guard let outcome = entry.completions.first else { continue }
            switch outcome {
            case .cancelled: cancelled += 1
            case .noError: answered += 1
            default: failed += 1  // an upstream failure under load is an outcome too; it must still be consistent
            }
            guard let cancelResult = entry.cancelResult else {
                #expect(outcome != .cancelled)
                continue
            }
            if outcome == .cancelled {
                #expect(cancelResult == .noError)
            } else {
                #expect(cancelResult == (entry.usedAsyncCancel ? .alreadyInProgress : .invalidHandle), "lookup \(index) (seed \(seed))")
            }
        }
        // The race must really have been run: both outcomes happened.
        #expect(cancelled > 0 && answered > 0, "seed \(seed)")
        #expect(failed < total / 100, "\(failed) lookups failed upstream")
        #expect(resolver.pendingCount == 0)
    }

    /// The per-try timeout of the burst tests. A datagram lost anywhere — at the resolver's
    /// sockets, in the kernel or inside unbound — costs its lookup one whole try before
    /// c-ares asks again, so "every lookup answered within one try" is exactly "nothing was
    /// lost". (c-ares 1.18 closes its sockets when idle, taking the kernel's per-socket drop
    /// counters with them, so those cannot be read afterwards.)
    private static let timeoutPerTry: Duration = .seconds(10)

    /// 1,000 lookups (2,000 queries) started at once complete without a single dropped
    /// reply — neither at the resolver's sockets nor at unbound's — whether or not this
    /// process may force large buffers (CAP_NET_ADMIN).
    @Test func thousandConcurrentLookupsWithoutDrops() throws {
        let unbound = try Fixtures.unbound()
        let resolver = try Fixtures.resolver(upstream: unbound.serverAddress, timeoutPerTry: Self.timeoutPerTry, tries: 2)
        try expectThousandLookupsWithoutDrops(resolver)
    }

    /// The same through receive buffers that hold about fifty 512-byte replies: the two
    /// channels together keep no more queries in flight than one buffer holds, so none is
    /// dropped however fast unbound answers. (With the configured 1,024 per channel, the
    /// replies race into 64 KiB and hundreds are lost.)
    @Test func aSmallReceiveBufferLowersQueriesInFlight() throws {
        let unbound = try Fixtures.unbound()
        var configuration = try Fixtures.configuration(upstream: unbound.serverAddress, timeoutPerTry: Self.timeoutPerTry)
        configuration.socketReceiveBufferBytes = 32 << 10  // under any rmem_max: granted as asked, doubled
        let resolver = try Resolver(configuration: configuration)
        let buffer = try #require(resolver.receiveBuffer)
        #expect(buffer.grantedBytes == 64 << 10)
        #expect((30...100).contains(buffer.replies), "\(buffer)")
        #expect(resolver.queryLimitPerChannel == buffer.replies / 2)
        try expectThousandLookupsWithoutDrops(resolver)
    }

    private func expectThousandLookupsWithoutDrops(_ resolver: Resolver) throws {
        let log = CompletionLog<AddressInfo>()
        let clock = ContinuousClock()
        let started = clock.now
        for index in 0..<1000 {
            resolver.addressInfo(AddressInfoRequest(name: "c\(index).wild.example.test", socketType: .stream), completion: log.handler)
        }
        #expect(log.wait(count: 1000, timeout: .seconds(60)))
        let elapsed = clock.now - started
        let failures = log.results.filter { if case .failure = $0 { true } else { false } }
        #expect(failures.isEmpty, "\(failures.count) failed, first: \(failures.prefix(1))")
        #expect(log.results.allSatisfy { (try? $0.get().addresses.count) == 2 })
        #expect(elapsed < Self.timeoutPerTry, "took \(elapsed): a reply was lost and its query asked again")
    }

    /// An idle resolver's loop threads sleep in epoll_wait: no polling timer, no spinning.
    @Test func idleResolverUsesNoCPU() throws {
        let unbound = try Fixtures.unbound()
        let resolver = try Fixtures.resolver(upstream: unbound.serverAddress)
        let log = CompletionLog<AddressInfo>()
        resolver.addressInfo(AddressInfoRequest(name: "www.example.test"), completion: log.handler)
        #expect(log.wait())
        let before = resolver.loopThreadCPUNanoseconds()
        usleep(500_000)
        let after = resolver.loopThreadCPUNanoseconds()
        #expect(after - before < 2_000_000, "loop threads used \(after - before) ns of CPU while idle")
    }
}
