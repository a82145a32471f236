import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import ResolverTesting
import Testing

@testable import ResolverCore

/// Every row of the cancel rules: GetAddrInfoExCancel, WSACancelAsyncRequest, CancelIoEx(NULL), shutdown.
@Suite struct CancellationTests {
    /// A resolver whose lookups stay pending: its upstream never answers.
    private func pendingResolver() throws -> (Resolver, SilentUpstream) {
        let silent = try SilentUpstream.start()
        return (try Fixtures.resolver(upstream: silent.serverAddress, timeoutPerTry: .seconds(30), tries: 1), silent)
    }

    @Test func cancelPendingDeliversCancelledBeforeReturning() throws {
        let (resolver, silent) = try pendingResolver()
        defer { silent.stop() }
        let log = CompletionLog<AddressInfo>()
        let handle = resolver.addressInfo(AddressInfoRequest(name: "pending.example.test"), completion: log.handler)
        #expect(handle != .zero)
        #expect(resolver.cancel(handle) == .noError)
        #expect(log.count == 1)  // delivered before cancel returned
        #expect(log.errorCode == .cancelled)
        #expect(resolver.cancel(handle) == .invalidHandle)
        #expect(resolver.pendingCount == 0)
    }

    @Test func cancelFinishedUnknownOrZeroIsInvalidHandle() throws {
        let resolver = try Fixtures.unboundResolver()
        let log = CompletionLog<AddressInfo>()
        let handle = resolver.addressInfo(AddressInfoRequest(name: "www.example.test"), completion: log.handler)
        #expect(log.wait())
        #expect(log.value != nil)
        #expect(resolver.cancel(handle) == .invalidHandle)
        #expect(resolver.cancel(.zero) == .invalidHandle)
        #expect(resolver.cancel(LookupHandle(rawValue: handle.rawValue + 1_000_000)) == .invalidHandle)
        #expect(log.count == 1)
    }

    @Test func cancelTimedOutIsInvalidHandle() throws {
        let (resolver, silent) = try pendingResolver()
        defer { silent.stop() }
        let log = CompletionLog<AddressInfo>()
        let handle = resolver.addressInfo(AddressInfoRequest(name: "t.example.test", timeout: .milliseconds(50)), completion: log.handler)
        #expect(log.wait())
        #expect(log.errorCode == .timedOut)
        #expect(resolver.cancel(handle) == .invalidHandle)
        #expect(resolver.cancelAsyncRequest(handle) == .alreadyInProgress)
    }

    @Test func cancelAsyncRequestRules() throws {
        let (resolver, silent) = try pendingResolver()
        defer { silent.stop() }
        let pending = CompletionLog<HostEntry>()
        let handle = resolver.hostByName("pending.example.test", completion: pending.handler)
        #expect(resolver.cancelAsyncRequest(handle) == .noError)
        #expect(pending.count == 1 && pending.errorCode == .cancelled)
        #expect(resolver.cancelAsyncRequest(handle) == .alreadyInProgress)

        let finished = CompletionLog<ServiceEntry>()
        let done = resolver.serviceByName("ssh", completion: finished.handler)
        #expect(finished.wait())
        #expect(resolver.cancelAsyncRequest(done) == .alreadyInProgress)
        #expect(resolver.cancelAsyncRequest(.zero) == .invalidArgument)
        #expect(resolver.cancelAsyncRequest(LookupHandle(rawValue: done.rawValue + 1000)) == .invalidArgument)
    }

    @Test func cancelAllAbortsOnlyTheOwnersLookups() throws {
        let (resolver, silent) = try pendingResolver()
        defer { silent.stop() }
        let mine = resolver.makeOwner()
        let theirs = resolver.makeOwner()
        let myLogs = (0..<3).map { _ in CompletionLog<QueryAnswer>() }
        for (index, log) in myLogs.enumerated() {
            resolver.query("m\(index).example.test", type: .a, owner: mine, completion: log.handler)
        }
        let other = CompletionLog<QueryAnswer>()
        let otherHandle = resolver.query("other.example.test", type: .a, owner: theirs, completion: other.handler)

        let result = resolver.cancelAll(owner: mine)
        #expect(result.code == .noError && result.cancelled == 3)
        #expect(myLogs.allSatisfy { $0.count == 1 && $0.errorCode == .operationAborted })
        #expect(other.count == 0)
        #expect(resolver.cancelAll(owner: mine) == (.notFound, 0))
        #expect(resolver.cancel(otherHandle) == .noError)
        #expect(other.errorCode == .cancelled)
    }

    @Test func shutdownAbortsPendingAndLaterStarts() throws {
        let (resolver, silent) = try pendingResolver()
        defer { silent.stop() }
        let log = CompletionLog<AddressInfo>()
        resolver.addressInfo(AddressInfoRequest(name: "p.example.test"), completion: log.handler)
        resolver.shutdown()
        #expect(log.count == 1 && log.errorCode == .operationAborted)
        let late = CompletionLog<AddressInfo>()
        resolver.addressInfo(AddressInfoRequest(name: "q.example.test"), completion: late.handler)
        #expect(late.count == 1 && late.errorCode == .operationAborted)
        resolver.shutdown()  // idempotent
    }

    @Test func cancelFromInsideACompletionDoesNotDeadlock() throws {
        let (resolver, silent) = try pendingResolver()
        defer { silent.stop() }
        let victim = CompletionLog<AddressInfo>()
        let victimHandle = resolver.addressInfo(AddressInfoRequest(name: "victim.example.test"), completion: victim.handler)
        let results = NIOLockedValueBox<[ResultCode]>([])
        let selfHandle = NIOLockedValueBox<LookupHandle>(.zero)
        let done = CompletionLog<ServiceEntry>()
        let handle = resolver.serviceByName("ssh") { result in
            // Runs on the loop thread: cancel another lookup and this one.
            let other = resolver.cancel(victimHandle)
            let mine = resolver.cancel(selfHandle.withLockedValue { $0 })
            let all = resolver.cancelAll(owner: .shared).code
            results.withLockedValue { $0 = [other, mine, all] }
            done.handler(result)
        }
        selfHandle.withLockedValue { $0 = handle }
        #expect(done.wait())
        #expect(results.withLockedValue { $0 } == [.noError, .invalidHandle, .notFound])
        #expect(victim.errorCode == .cancelled)
    }

    @Test func lateAnswerOfACancelledLookupIsDropped() throws {
        let unbound = try Fixtures.unbound()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        proxy.hold()
        // One channel, so the follow-up below reads the same upstream socket as the late answer.
        let resolver = try Fixtures.resolver(upstream: proxy.serverAddress, timeoutPerTry: .seconds(5), tries: 1, channels: 1)
        let log = CompletionLog<QueryAnswer>()
        let handle = resolver.query("www.example.test", type: .a, completion: log.handler)
        // Answered upstream and held at the gate: in flight by construction.
        #expect(proxy.waitUntil(repliesHeld: 1))
        #expect(resolver.cancel(handle) == .noError)
        #expect(log.wait() && log.errorCode == .cancelled)
        proxy.release()
        // The proxy relays in order on one socket: once the follow-up is answered, the late
        // answer ahead of it has reached c-ares too. It must have changed nothing.
        let followUp = CompletionLog<QueryAnswer>()
        resolver.query("www.example.test", type: .aaaa, completion: followUp.handler)
        #expect(followUp.wait() && followUp.value != nil)
        #expect(proxy.repliesRelayed == 2)
        #expect(log.count == 1 && log.errorCode == .cancelled)
        #expect(resolver.pendingCount == 0)
    }

    @Test func handlesAreIncreasingAndNeverZero() throws {
        let resolver = try Fixtures.unboundResolver()
        let log = CompletionLog<ProtocolEntry>()
        let handles = (0..<100).map { _ in resolver.protocolByName("tcp", completion: log.handler) }
        #expect(log.wait(count: 100))
        #expect(handles.allSatisfy { $0 != .zero })
        #expect(zip(handles, handles.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func taskCancellationCancelsExactlyThatLookup() async throws {
        let unbound = try Fixtures.unbound()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        proxy.hold()
        let resolver = try Fixtures.resolver(upstream: proxy.serverAddress, timeoutPerTry: .seconds(5), tries: 1)
        let doomed = Task { try await resolver.query("www.example.test", type: .a) }
        let survivor = Task { try await resolver.query("www.example.test", type: .aaaa) }
        // Both answered upstream and held at the gate: both in flight when the cancel comes.
        #expect(proxy.waitUntil(repliesHeld: 2))
        doomed.cancel()
        await #expect(throws: CancellationError.self) { try await doomed.value }
        proxy.release()
        let answer = try await survivor.value
        #expect(answer.records.map(\.data) == [.aaaa(address: "2001:db8::10")])
    }
}

@Suite struct WaitQueueTests {
    /// Lookups cancelled while they wait for a c-ares slot are dropped from the wait queue
    /// when it doubles, not kept until a slot frees (which never happens against a silent
    /// upstream).
    @Test func cancelledWaitersAreSweptFromTheQueue() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        var configuration = try Fixtures.configuration(upstream: silent.serverAddress, timeoutPerTry: .seconds(60), tries: 1, channels: 1)
        configuration.maxInFlightPerChannel = 1
        let resolver = try Resolver(configuration: configuration)
        defer { resolver.shutdown() }
        let ignore: @Sendable (Result<QueryAnswer, ResolverError>) -> Void = { _ in }
        resolver.query("slot.example.test", type: .a, completion: ignore)  // holds the only slot
        let first = (0..<5_000).map { resolver.query("w\($0).example.test", type: .a, completion: ignore) }
        // A barrier: the loop takes its jobs in order, so once this waiter has timed out the
        // 5,000 before it are in the wait queue (it stays there too, no longer pending).
        let barrier = CompletionLog<QueryAnswer>()
        resolver.query("barrier.example.test", type: .a, timeout: .milliseconds(1), completion: barrier.handler)
        #expect(barrier.wait() && barrier.errorCode == .timedOut)
        #expect(resolver.lookupsDroppedWhileWaiting == 0, "nothing was cancelled at the sweeps so far")
        for handle in first { #expect(resolver.cancel(handle) == .noError) }
        // More waiters push the queue past its sweep mark (8,192 after the sweeps at 1,024,
        // 2,048 and 4,096, which found nothing cancelled yet).
        for index in 0..<4_000 { resolver.query("x\(index).example.test", type: .a, completion: ignore) }
        let deadline = ContinuousClock.now + .seconds(10)
        while resolver.lookupsDroppedWhileWaiting < 5_001 && ContinuousClock.now < deadline { usleep(10_000) }
        #expect(resolver.lookupsDroppedWhileWaiting == 5_001, "the 5,000 cancelled and the timed-out barrier")
    }
}
