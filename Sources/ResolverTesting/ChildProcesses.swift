#if canImport(Glibc)
import Glibc
#endif

/// Fixture processes still running, killed when the test process exits.
///
/// Fixtures stop their process on `stop()` and in `deinit`, but a fixture kept in a
/// `static let` (one unbound shared by a whole suite) is never deinitialised: without this,
/// every test run would leave that process behind.
enum ChildProcesses {
    private static let live = Locked<Set<pid_t>>([])
    private static let installed: Bool = {
        atexit {
            for pid in ChildProcesses.live.current { kill(pid, SIGKILL) }
        }
        return true
    }()

    static func started(_ pid: pid_t) {
        _ = installed
        live.withLock { _ = $0.insert(pid) }
    }

    static func stopped(_ pid: pid_t) {
        live.withLock { _ = $0.remove(pid) }
    }
}
