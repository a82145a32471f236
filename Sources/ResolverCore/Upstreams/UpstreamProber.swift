import CAres
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Asks each down upstream, on its own thread, whether it answers again, and checks an up
/// upstream that answered a client's lookup SERVFAIL: one UDP query when the upstream's
/// probe is due (``UpstreamHealth``), waiting up to one per-try timeout for the reply.
///
/// The question is always the daemon's own, never a client's: `localhost. IN A`
/// (``probeQuery``). A recursive server answers it itself (RFC 6761 §6.3: unbound, BIND,
/// dnsmasq with its hosts file) or from the root's NXDOMAIN; so NOERROR or NXDOMAIN says the
/// server works, and no client can choose a name that makes the server look broken.
///
/// It sleeps while no probe is due (an eventfd wakes it when one becomes due), so an
/// idle resolver stays idle. It does not reorder channels: ``UpstreamBoard`` does that when
/// a probe is answered.
final class UpstreamProber: @unchecked Sendable {
    // Safe to share: `wakeFD` is an eventfd written from any thread; `thread` is written
    // once by start() before the prober is shared; everything else is immutable.
    private let board: UpstreamBoard
    private let timeoutMilliseconds: Int32
    private let wakeFD: Int32
    private let stopping = NIOLockedValueBox(false)
    private var thread: pthread_t?

    init(board: UpstreamBoard, timeoutPerTryMilliseconds: Int32) {
        self.board = board
        self.timeoutMilliseconds = max(1, timeoutPerTryMilliseconds)
        self.wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    deinit {
        if wakeFD >= 0 { close(wakeFD) }
    }

    func start() {
        guard wakeFD >= 0 else { return }  // no eventfd: no probes, failover still reorders
        let wakeFD = self.wakeFD
        board.setProberWake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let prober = Unmanaged<UpstreamProber>.fromOpaque(argument!).takeRetainedValue()
            prober.run()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        self.thread = thread
    }

    func stopAndJoin() {
        guard let thread else { return }
        board.setProberWake {}  // the board may outlive the eventfd, closed in deinit
        stopping.withLockedValue { $0 = true }
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
        if pthread_equal(thread, pthread_self()) == 0 { pthread_join(thread, nil) } else { pthread_detach(thread) }
    }

    private func run() {
        while !stopping.withLockedValue({ $0 }) {
            let now = MonotonicClock.now()
            let (due, nextAt) = board.takeDueProbes(now: now)
            for upstream in due {
                board.probeFinished(upstream, rcode: probe(board.servers[upstream], query: Self.probeQuery))
            }
            if !due.isEmpty { continue }  // their outcome may have scheduled the next probe
            var wait: Int32 = -1
            if nextAt != .max {
                wait = Int32(clamping: (nextAt &- min(nextAt, MonotonicClock.now()) + 999_999) / 1_000_000)
            }
            var descriptor = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, wait) > 0 {
                var count: UInt64 = 0
                _ = read(wakeFD, &count, 8)
            }
        }
    }

    /// Sends `query` (with a fresh id) to `server` and returns the rcode of its reply
    /// (``malformedReply`` for one that is no well-formed DNS message), or nil when none
    /// came within the timeout.
    private func probe(_ server: DNSServerAddress, query: [UInt8]) -> UInt8? {
        guard let address = IPAddress(parsing: server.host) else { return nil }
        let family = address.family == .inet6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard Self.connect(fd, to: address, port: server.port) else { return nil }
        var packet = query
        let id = UInt16.random(in: 0...UInt16.max)
        packet[0] = UInt8(id >> 8)
        packet[1] = UInt8(id & 0xff)
        guard send(fd, packet, packet.count, 0) == packet.count else { return nil }
        let deadline = MonotonicClock.now() &+ UInt64(timeoutMilliseconds) * 1_000_000
        var reply = [UInt8](repeating: 0, count: 4096)
        while true {
            let now = MonotonicClock.now()
            guard now < deadline else { return nil }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            guard poll(&descriptor, 1, left) > 0 else { continue }
            let received = recv(fd, &reply, reply.count, 0)
            if received < 0 { return nil }  // port unreachable: still down
            if received >= 4 && reply[0] == packet[0] && reply[1] == packet[1] && reply[2] & 0x80 != 0 {
                let wellFormed = reply.withUnsafeBytes { DNSMessageShape.isWellFormed(UnsafeRawBufferPointer(rebasing: $0[..<received])) }
                return wellFormed ? reply[3] & 0x0f : Self.malformedReply
            }
        }
    }

    private static func connect(_ fd: Int32, to address: IPAddress, port: UInt16) -> Bool {
        let bytes = address.bytes
        if address.family == .inet6 {
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &v6.sin6_addr) { $0.copyBytes(from: bytes) }
            return withUnsafePointer(to: &v6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
            }
        }
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = port.bigEndian
        withUnsafeMutableBytes(of: &v4.sin_addr) { $0.copyBytes(from: bytes) }
        return withUnsafePointer(to: &v4) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Not an rcode (those have 4 bits): a reply that is no DNS message, a failed probe.
    static let malformedReply: UInt8 = 0xff

    /// `localhost. IN A`, recursion desired (the id is replaced per probe).
    static let probeQuery: [UInt8] =
        [0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + [9] + Array("localhost".utf8) + [0, 0, 1, 0, 1]
}
