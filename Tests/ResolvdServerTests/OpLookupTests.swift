import NIOConcurrencyHelpers
import ResolvdProtocol
import ResolverCore
import Testing

@testable import ResolvdServer

/// An op on its own: outcomes fed in by hand, steps read out — no service, no sockets, no clock.
@Suite struct OpLookupTests {
    static func question(_ name: String, _ type: UInt16 = DNSQuestion.a) -> DNSQuestion { DNSQuestion(name: name, type: type) }
    static let records = QuestionOutcome.records(chain: [], records: [DNSRecord(name: "b.test", ttl: 60, data: .a(address: "192.0.2.1"))])

    /// Two rounds (a search list of two names), A and AAAA each: an answer with records
    /// decides; two negatives go on; a failure decides.
    static func recipe() -> LookupRecipe<LookupValue> {
        LookupRecipe(
            rounds: QuestionRounds(names: ["a.test", "b.test"], types: [DNSQuestion.a, DNSQuestion.aaaa]),
            name: "a"
        ) { outcomes in
            for outcome in outcomes {
                if case .records(_, let records) = outcome { return .success(.query(QueryAnswer(records: records))) }
                if case .failure(let error) = outcome { return .failure(error) }
            }
            return nil
        }
    }

    final class Answers: Sendable {
        let results = NIOLockedValueBox<[(Result<LookupValue, ResolverError>, LookupSource)]>([])
        func record(_ result: Result<LookupValue, ResolverError>, _ source: LookupSource) { results.withLockedValue { $0.append((result, source)) } }
    }

    static func op(_ answers: Answers) -> OpLookup {
        let op = OpLookup(
            recipe: recipe(), owner: ShareOwner(uid: 1, connection: 1), allowsStale: true, consultingCache: true, hasTimeout: false,
            completion: answers.record)
        op.state.withLock { op.begin(&$0, round: 0) }
        return op
    }

    static func token(_ id: UInt64, _ source: LookupSource) -> LookupService.QuestionToken {
        LookupService.QuestionToken(id: id, place: .answered, source: source)
    }

    @Test func negativesGoOnToTheNextRoundAndAnAnswerCompletesOnce() {
        let op = Self.op(Answers())
        #expect(op.asked(round: 0, index: 0, token: Self.token(1, .upstream)))
        guard case .nothing = op.answered(round: 0, index: 0, outcome: .nameError(chain: [], soa: nil), stale: false, source: .upstream) else {
            Issue.record("decided with one question of two answered")
            return
        }
        guard case .askNextRound(round: 1) = op.answered(round: 0, index: 1, outcome: .noData(chain: [], soa: nil), stale: false, source: .upstream) else {
            Issue.record("two negatives did not go on to the next name")
            return
        }
        #expect(op.pendingQuestions.map(\.question) == [Self.question("b.test"), Self.question("b.test", DNSQuestion.aaaa)])
        // A late answer of the old round changes nothing.
        guard case .nothing = op.answered(round: 0, index: 0, outcome: Self.records, stale: false, source: .upstream) else {
            Issue.record("an old round's answer was taken")
            return
        }
        guard case .nothing = op.answered(round: 1, index: 1, outcome: .noData(chain: [], soa: nil), stale: false, source: .upstream),
              case .complete(.success(.query)) = op.answered(round: 1, index: 0, outcome: Self.records, stale: false, source: .upstream) else {
            Issue.record("the records did not complete it")
            return
        }
        #expect(op.isDone && op.finish() == nil, "a cancel after the answer finds nothing to do")
        #expect(op.source == .upstream)
    }

    @Test func everyRoundNegativeIsExhaustedWithNoDataIfOneHadTheName() {
        let op = Self.op(Answers())
        _ = op.answered(round: 0, index: 0, outcome: .nameError(chain: [], soa: nil), stale: false, source: .upstream)
        _ = op.answered(round: 0, index: 1, outcome: .noData(chain: [], soa: nil), stale: false, source: .upstream)
        _ = op.answered(round: 1, index: 0, outcome: .nameError(chain: [], soa: nil), stale: false, source: .upstream)
        guard case .complete(.failure(let error)) = op.answered(round: 1, index: 1, outcome: .nameError(chain: [], soa: nil), stale: false, source: .upstream) else {
            Issue.record("not exhausted")
            return
        }
        #expect(error.code == .noData)
    }

    @Test func aFinishTakesTheWaitersStillAskedAndLaterAnswersAreDropped() {
        let op = Self.op(Answers())
        #expect(op.asked(round: 0, index: 0, token: Self.token(1, .coalesced)))
        #expect(op.asked(round: 0, index: 1, token: Self.token(2, .cache)))
        _ = op.answered(round: 0, index: 1, outcome: .noData(chain: [], soa: nil), stale: false, source: .cache)
        let finished = op.finish()
        #expect(finished?.waiting.map(\.id) == [1] && finished?.source == .coalesced)
        guard case .nothing = op.answered(round: 0, index: 0, outcome: Self.records, stale: false, source: .upstream) else {
            Issue.record("answered twice")
            return
        }
        #expect(!op.asked(round: 0, index: 0, token: Self.token(3, .upstream)), "a waiter asked after the finish is to be taken off")
    }

    @Test func anAnswerWithAStaleOutcomeIsMarkedStale() {
        let op = Self.op(Answers())
        _ = op.answered(round: 0, index: 1, outcome: .noData(chain: [], soa: nil), stale: false, source: .upstream)
        guard case .complete(.success(.stale(.query))) = op.answered(round: 0, index: 0, outcome: Self.records, stale: true, source: .cache) else {
            Issue.record("not marked stale")
            return
        }
    }

    /// A question queued in the share whose turn comes before `ask` has returned its queued
    /// token: the turn's token is kept, the queued one does not overwrite it; a turn of a
    /// question the op no longer waits for places nothing.
    @Test func aTurnsTokenIsKeptAndOnlyWhileTheOpWaitsForTheQuestion() {
        let op = Self.op(Answers())
        var placed = 0
        #expect(op.turnCame(round: 0, index: 0) { placed += 1; return Self.token(7, .coalesced) })
        #expect(op.asked(round: 0, index: 0, token: Self.token(5, .upstream)))
        #expect(op.token(round: 0, index: 0)?.id == 7, "the queued token did not overwrite the turn's")
        #expect(!op.turnCame(round: 1, index: 0) { placed += 1; return Self.token(8, .upstream) }, "not its round")
        _ = op.answered(round: 0, index: 1, outcome: .noData(chain: [], soa: nil), stale: false, source: .upstream)
        #expect(!op.turnCame(round: 0, index: 1) { placed += 1; return Self.token(9, .upstream) }, "answered already")
        #expect(op.finish()?.waiting.map(\.id) == [7])
        #expect(!op.turnCame(round: 0, index: 0) { placed += 1; return Self.token(10, .upstream) }, "the op is done")
        #expect(placed == 1)
    }
}
