import NIOConcurrencyHelpers
import ResolverTesting
import Testing

@testable import ResolverCore

/// ``Resolver/ask(_:owner:channelHint:listener:context:)``: the daemon's way of asking, one
/// listener for every question, each told apart by its context — against the shared unbound.
@Suite struct QuestionListenerTests {
    /// Keeps what it hears, by context.
    final class Listener: QuestionListener {
        let heard = NIOLockedValueBox<[(context: ObjectIdentifier, result: Result<QuestionOutcome, ResolverError>)]>([])
        let log = CompletionLog<QuestionOutcome>()

        func question(_ context: AnyObject & Sendable, finished result: Result<QuestionOutcome, ResolverError>) {
            heard.withLockedValue { $0.append((ObjectIdentifier(context), result)) }
            log.handler(result)
        }
    }

    final class Context: Sendable {}

    @Test func eachQuestionIsHeardOnceWithItsOwnContext() throws {
        let resolver = try Fixtures.unboundResolver()
        let listener = Listener()
        let address = Context(), missing = Context(), badName = Context()
        resolver.ask(DNSQuestion(name: "www.example.test", type: DNSQuestion.a), listener: listener, context: address)
        resolver.ask(DNSQuestion(name: "nope.example.test", type: DNSQuestion.a), listener: listener, context: missing)
        // A name no question may carry: heard all the same, through the same one call.
        resolver.ask(DNSQuestion(name: "a..b", type: DNSQuestion.a), listener: listener, context: badName)
        #expect(listener.log.wait(count: 3))
        let heard = listener.heard.withLockedValue { $0 }
        #expect(heard.count == 3)
        func outcome(_ context: Context) -> QuestionOutcome? {
            let results = heard.filter { $0.context == ObjectIdentifier(context) }
            guard results.count == 1, case .success(let outcome) = results[0].result else { return nil }
            return outcome
        }
        guard case .records(_, let records)? = outcome(address) else {
            Issue.record("www.example.test: no records")
            return
        }
        #expect(records.allSatisfy { $0.name == "www.example.test" } && !records.isEmpty)
        guard case .nameError? = outcome(missing) else {
            Issue.record("nope.example.test: not NXDOMAIN")
            return
        }
        guard case .failure(let error)? = outcome(badName) else {
            Issue.record("a..b: not refused")
            return
        }
        #expect(error.code == .invalidArgument)
        #expect(resolver.pendingCount == 0)
    }

    @Test func aCancelledQuestionIsHeardOnceAsCancelled() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        let resolver = try Fixtures.resolver(upstream: silent.serverAddress, timeoutPerTry: .seconds(30), tries: 1)
        let listener = Listener()
        let handle = resolver.ask(DNSQuestion(name: "pending.example.test", type: DNSQuestion.a), listener: listener, context: Context())
        #expect(resolver.cancel(handle) == .noError)
        #expect(listener.log.count == 1)  // heard before cancel returned
        #expect(listener.log.errorCode == .cancelled)
        #expect(resolver.cancel(handle) == .invalidHandle)
    }
}
