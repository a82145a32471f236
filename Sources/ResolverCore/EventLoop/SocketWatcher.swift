import CAres
#if canImport(Glibc)
import Glibc
#endif

/// The epoll set of one ``ChannelLoop``: c-ares' sockets (as its ARES_OPT_SOCK_STATE_CB
/// reports them) and the loop's wake-up eventfd.
///
/// It only keeps the kernel's interest list in step with what c-ares asks for; it does
/// not read sockets or call c-ares.
final class SocketWatcher: @unchecked Sendable {
    // Safe to share: created before the loop thread starts and then used only on that
    // thread (c-ares calls socketStateChanged from inside ares_* calls on the loop thread).
    let epollFD: Int32
    let wakeFD: Int32
    private var interest: [Int32: UInt32] = [:]

    init() throws(ResolverError) {
        let wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard wakeFD >= 0, epollFD >= 0 else {
            let reason = String(cString: strerror(errno))
            if wakeFD >= 0 { close(wakeFD) }
            if epollFD >= 0 { close(epollFD) }
            throw ResolverError(code: .notEnoughMemory, message: "cannot create the event loop: \(reason)")
        }
        self.wakeFD = wakeFD
        self.epollFD = epollFD
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
    }

    deinit {
        close(wakeFD)
        close(epollFD)
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

    func socketStateChanged(_ fd: Int32, readable: Bool, writable: Bool) {
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
