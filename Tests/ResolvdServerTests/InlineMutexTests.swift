import Dispatch
import ResolverTesting
import Testing

@testable import ResolvdServer

/// ``InlineMutex`` hands what it guards from one thread to the next so that
/// ThreadSanitizer sees the order. Under the sanitizer (make test's second run) a hand-over
/// it cannot see is reported as a race and fails the run: with `Synchronization.Mutex` in
/// its place this test does ("Swift access race" on the guarded array).
@Suite struct InlineMutexTests {
    final class Guarded: Sendable {
        let values = InlineMutex<[Int]>([])
    }

    @Test func everyHolderSeesTheLastOnesWrites() {
        let guarded = Guarded()
        let perThread = Sanitizers.scaled(20_000)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for step in 0..<perThread {
                guarded.values.withLock { values in
                    // Reads what the previous holder wrote, then writes: a race unless ordered.
                    let last = values.last ?? -1
                    values.append(step == 0 ? thread : last &+ 1)
                }
            }
        }
        let values = guarded.values.withLock { $0 }
        #expect(values.count == 4 * perThread)
    }
}
