import ArgumentParser
import Dispatch

/// The process entry point: runs ``ResolvdCommand`` on the Swift concurrency pool and
/// parks the main thread on a semaphore until it returns.
///
/// Not an `async` `main`: on Linux that hands the main thread to libdispatch's
/// `dispatch_main`, which valgrind 3.19 cannot run (it dies in libdispatch's signal
/// thread), and callgrind is how the daemon's instructions per lookup are counted
/// (docs/performance.md). Nothing in the daemon uses the main queue or the main actor.
/// The command exits the process itself on errors (ArgumentParser's `exit`).
@main
enum ResolvdMain {
    static func main() {
        let finished = DispatchSemaphore(value: 0)
        // Detached: `main` is on the main actor, whose queue nobody drains here.
        Task.detached {
            await ResolvdCommand.main()
            finished.signal()
        }
        finished.wait()
    }
}
