import Glibc

/// A joinable pthread running a poll loop, with a wake pipe so `stop()` can end it at once.
/// The body gets the read end of the pipe; it must poll it and return when it is readable.
final class WorkerThread: Sendable {
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// The pthread while it runs; nil once joined.
    private let thread: Locked<pthread_t?>

    init(name: String, body: @escaping @Sendable (_ wakeFD: Int32) -> Void) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw FixtureError.fromErrno("pipe") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        thread = Locked(nil)

        final class Box { let run: () -> Void; init(_ run: @escaping () -> Void) { self.run = run } }
        let wake = wakeRead
        let box = Unmanaged.passRetained(Box { body(wake) })
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            close(wakeRead)
            close(wakeWrite)
            throw FixtureError("pthread_create for \(name): \(String(cString: strerror(rc)))")
        }
        thread.withLock { $0 = tid }
    }

    /// Wakes the loop and waits for the thread to end. Idempotent.
    func stop() {
        guard let tid = thread.withLock({ current -> pthread_t? in
            defer { current = nil }
            return current
        }) else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        pthread_join(tid, nil)
        close(wakeRead)
        close(wakeWrite)
    }

    deinit { stop() }
}
