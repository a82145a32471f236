import NIOConcurrencyHelpers
import ResolverCore

/// Answers that finished on resolver threads and wait for their connection's event loop.
///
/// A burst of answers costs one `EventLoop.execute` (one task, one wake-up at most)
/// instead of one per answer: ``post(id:result:)`` says whether the inbox was empty, and
/// only then does the caller schedule a drain. It holds answers and nothing else; what an
/// answer means for the connection is ``ConnectionHandler``'s business.
final class AnswerInbox: Sendable {
    struct Answer: Sendable {
        var id: Int64
        var result: Result<LookupValue, ResolverError>
    }

    private let answers = NIOLockedValueBox<[Answer]>([])

    /// Adds an answer; true when the inbox was empty, i.e. the caller must schedule a drain.
    func post(id: Int64, result: Result<LookupValue, ResolverError>) -> Bool {
        answers.withLockedValue { answers in
            answers.append(Answer(id: id, result: result))
            return answers.count == 1
        }
    }

    /// Everything posted so far, in posting order; the inbox is empty afterwards.
    func take() -> [Answer] {
        answers.withLockedValue { answers in
            var taken: [Answer] = []
            swap(&taken, &answers)
            return taken
        }
    }
}
