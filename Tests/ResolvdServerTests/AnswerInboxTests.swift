import Dispatch
import ResolverCore
import Testing

@testable import ResolvdServer

/// The hand-off of finished lookups from resolver threads to a connection's event loop.
@Suite struct AnswerInboxTests {
    private static func failure(_ id: Int64) -> Result<LookupValue, ResolverError> {
        .failure(ResolverError(code: .hostNotFound, message: "no \(id)"))
    }

    /// Only the post that finds the inbox empty asks for a drain; a drain takes everything,
    /// in posting order, and the next post asks again.
    @Test func onlyTheFirstPostOfABurstSchedulesADrain() {
        let inbox = AnswerInbox()
        #expect(inbox.post(id: 1, result: Self.failure(1)))
        #expect(!inbox.post(id: 2, result: Self.failure(2)))
        #expect(!inbox.post(id: 3, result: Self.failure(3)))
        #expect(inbox.take().map(\.id) == [1, 2, 3])
        #expect(inbox.take().isEmpty)
        #expect(inbox.post(id: 4, result: Self.failure(4)))
        #expect(inbox.take().map(\.id) == [4])
    }

    /// Many threads posting while one drains: every answer is taken exactly once, and there
    /// is one drain request per time the inbox went from empty to not empty.
    @Test func concurrentPostsAreTakenExactlyOnce() {
        let inbox = AnswerInbox()
        let threads = 4
        let perThread = 5_000
        let drainRequests = DispatchSemaphore(value: 0)
        let posted = DispatchGroup()
        for thread in 0..<threads {
            posted.enter()
            DispatchQueue.global().async {
                for index in 0..<perThread {
                    let id = Int64(thread * perThread + index + 1)
                    if inbox.post(id: id, result: Self.failure(id)) { drainRequests.signal() }
                }
                posted.leave()
            }
        }
        var taken: [Int64] = []
        var drains = 0
        while taken.count < threads * perThread {
            guard drainRequests.wait(timeout: .now() + 10) == .success else { break }
            drains += 1
            taken += inbox.take().map(\.id)
        }
        posted.wait()
        taken += inbox.take().map(\.id)
        #expect(taken.count == threads * perThread)
        #expect(Set(taken).count == threads * perThread)
        #expect(drains >= 1 && drains <= threads * perThread)
    }
}
