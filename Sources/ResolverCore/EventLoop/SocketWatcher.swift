import CAres
#if canImport(Glibc)
import Glibc
#endif

/// The epoll set of one ``ChannelLoop``: c-ares' sockets (as its ARES_OPT_SOCK_STATE_CB
/// reports them), the loop's wake-up eventfd, and a timerfd that a thread which started a
/// lookup on the sleeping loop arms when that lookup needs the loop awake sooner than it
/// planned (a retry, a deadline).
///
/// It only keeps the kernel's interest list in step with what c-ares asks for; it does
/// not read sockets or call c-ares.
final class SocketWatcher: @unchecked Sendable {
    // Safe to share: created before the loop thread starts and then used only by the
    // holder of the loop's ownership mutex (c-ares calls socketStateChanged from
    // inside ares_* calls); `wake()` is a write to an eventfd, from any thread.
    let epollFD: Int32
    let wakeFD: Int32
    let timerFD: Int32
    private var interest: [Int32: UInt32] = [:]
    /// UDP sockets a ``DatagramReaders`` thread reads: c-ares' interest in them is not this
    /// loop's to watch.
    private var readElsewhere: Set<Int32> = []

    init() throws(ResolverError) {
        let wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        let timerFD = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard wakeFD >= 0, timerFD >= 0, epollFD >= 0 else {
            let reason = String(cString: strerror(errno))
            for fd in [wakeFD, timerFD, epollFD] where fd >= 0 { close(fd) }
            throw ResolverError(code: .notEnoughMemory, message: "cannot create the event loop: \(reason)")
        }
        self.wakeFD = wakeFD
        self.timerFD = timerFD
        self.epollFD = epollFD
        for fd in [wakeFD, timerFD] {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.fd = fd
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        }
    }

    deinit {
        close(wakeFD)
        close(timerFD)
        close(epollFD)
    }

    /// Makes the loop's `epoll_wait` return at `deadline` (``MonotonicClock`` nanoseconds)
    /// at the latest, without waking it now. Holder of the channel only.
    func wakeNoLaterThan(_ deadline: UInt64) {
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(deadline / 1_000_000_000)
        spec.it_value.tv_nsec = Int(deadline % 1_000_000_000)
        if spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0 { spec.it_value.tv_nsec = 1 }  // 0 would disarm
        timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    /// Clears the timerfd after it fired. Loop thread only.
    func drainTimer() {
        var count: UInt64 = 0
        _ = read(timerFD, &count, 8)
    }

    /// Wakes the loop from any thread.
    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Clears the eventfd after a wake-up. Loop thread only.
    func drainWake() {
        var count: UInt64 = 0
        _ = read(wakeFD, &count, 8)
    }

    /// `fd` is read by a reader from now on (before c-ares asks for its readiness).
    func readElsewhere(_ fd: Int32) {
        readElsewhere.insert(fd)
    }

    /// `fd` is closed; its number may come back as a socket of the loop's own.
    func readHere(_ fd: Int32) {
        readElsewhere.remove(fd)
    }

    func socketStateChanged(_ fd: Int32, readable: Bool, writable: Bool) {
        if !readElsewhere.isEmpty && readElsewhere.contains(fd) { return }
        let wanted = (readable ? EPOLLIN.rawValue : 0) | (writable ? EPOLLOUT.rawValue : 0)
        var event = epoll_event()
        event.events = wanted
        event.data.fd = fd
        switch (interest[fd], wanted) {
        case (nil, 0):
            return
        case (_, 0):
            interest[fd] = nil
            epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, &event)
        case (nil, _):
            interest[fd] = wanted
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        case (let current?, _) where current != wanted:
            interest[fd] = wanted
            epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
        default:
            return
        }
    }
}
