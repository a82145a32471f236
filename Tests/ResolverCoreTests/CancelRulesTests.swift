import ResolverTesting
import Testing

@testable import ResolverCore

/// The one cancel rule table (``CancelRules``), and the engine's cancel calls against it.
/// The daemon's cancel ops are run against the same table in `ConnectionHandlerTests`.
@Suite struct CancelRulesTests {
    /// The table as docs/protocol.md and docs/lookup-state-machine.md write it.
    static let expected: [(CancelRules.Call, CancelRules.HandleState, ResultCode)] = [
        (.cancel, .pending, .noError), (.cancel, .finished, .invalidHandle), (.cancel, .neverIssued, .invalidHandle),
        (.cancel, .zero, .invalidHandle), (.cancel, .negative, .invalidHandle),
        (.cancelAsyncRequest, .pending, .noError), (.cancelAsyncRequest, .finished, .alreadyInProgress),
        (.cancelAsyncRequest, .neverIssued, .invalidArgument), (.cancelAsyncRequest, .zero, .invalidArgument),
        (.cancelAsyncRequest, .negative, .invalidArgument),
    ]

    @Test func theTable() {
        #expect(Self.expected.count == CancelRules.Call.allCases.count * CancelRules.HandleState.allCases.count)
        for (call, state, code) in Self.expected {
            #expect(CancelRules.resultCode(call, state) == code, "\(call) \(state)")
        }
        #expect(CancelRules.cancelAllResultCode(aborted: 0) == .notFound)
        #expect(CancelRules.cancelAllResultCode(aborted: 3) == .noError)
    }

    @Test func handleStates() {
        #expect(CancelRules.handleState(Int64(0), lastIssued: 5) { Issue.record("tried"); return true } == .zero)
        #expect(CancelRules.handleState(Int64(-1), lastIssued: 5) { Issue.record("tried"); return true } == .negative)
        #expect(CancelRules.handleState(Int64(6), lastIssued: 5) { Issue.record("tried"); return true } == .neverIssued)
        #expect(CancelRules.handleState(Int64(5), lastIssued: 5) { true } == .pending)
        #expect(CancelRules.handleState(Int64(1), lastIssued: 5) { false } == .finished)
        #expect(CancelRules.handleState(UInt64(0), lastIssued: 5) { true } == .zero)
        #expect(CancelRules.handleState(UInt64(9), lastIssued: 5) { true } == .neverIssued)
    }

    /// The engine answers each handle state it can meet (its handles are never negative)
    /// as the table says, for both calls.
    @Test(arguments: CancelRules.Call.allCases)
    func theEngineFollowsTheTable(call: CancelRules.Call) throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        let resolver = try Fixtures.resolver(upstream: silent.serverAddress, timeoutPerTry: .seconds(30), tries: 1)
        func engine(_ handle: LookupHandle) -> ResultCode {
            switch call {
            case .cancel: resolver.cancel(handle)
            case .cancelAsyncRequest: resolver.cancelAsyncRequest(handle)
            }
        }
        let log = CompletionLog<HostEntry>()
        let pending = resolver.hostByName("pending.example.test", completion: log.handler)
        #expect(engine(pending) == CancelRules.resultCode(call, .pending))
        #expect(log.count == 1 && log.errorCode == .cancelled)
        #expect(engine(pending) == CancelRules.resultCode(call, .finished))
        #expect(engine(.zero) == CancelRules.resultCode(call, .zero))
        #expect(engine(LookupHandle(rawValue: pending.rawValue + 1)) == CancelRules.resultCode(call, .neverIssued))
        let owner = resolver.makeOwner()
        #expect(resolver.cancelAll(owner: owner).code == CancelRules.cancelAllResultCode(aborted: 0))
    }
}
