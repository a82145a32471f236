import CAres

#if canImport(Glibc)
import Glibc
#endif

/// How many DNS replies fit in the receive buffer the kernel grants a c-ares UDP socket.
///
/// A channel reads its one UDP socket on one thread; when replies arrive faster than it
/// drains them — a loopback upstream answers a burst of hundreds of queries in a
/// millisecond — the kernel drops whatever does not fit, and each dropped reply costs its
/// lookup a whole per-try timeout. resolvd asks for a large buffer, but an unprivileged
/// daemon (the shipped unit has no CAP_NET_ADMIN) gets at most `net.core.rmem_max`,
/// 208 KiB on a stock kernel. So the resolver sizes its query limit from what was granted
/// (``ResolverConfiguration/queryLimitPerChannel(receiveBuffer:)``), measured here once per resolver: a socket configured exactly as c-ares' are,
/// the buffer read back, and the kernel's charge for one 512-byte datagram read with
/// SO_MEMINFO. 512 bytes is the largest reply a query gets over UDP without EDNS, which
/// resolvd does not ask c-ares to send.
///
/// This measures; it does not change the sockets (``AresChannelFactory`` does that).
public struct ReceiveBufferCapacity: Sendable, Equatable {
    /// The receive buffer the kernel granted (SO_RCVBUF as read back: twice what was set,
    /// the kernel's own bookkeeping included).
    public var grantedBytes: Int
    /// What one 512-byte reply is charged against that buffer (the socket buffer's truesize).
    public var bytesPerReply: Int

    /// How many largest-size replies the buffer holds at once.
    public var replies: Int { grantedBytes / max(1, bytesPerReply) }

    /// The largest reply over UDP without EDNS.
    static let largestReply = 512

    /// SO_MEMINFO and its first slot, SK_MEMINFO_RMEM_ALLOC (linux/sock_diag.h; not in Glibc's module).
    private static let soMemInfo: Int32 = 55
    private static let memInfoSlots = 9

    /// Measures on a loopback socket that asks for `requestedBytes` the way c-ares'
    /// sockets do (SO_RCVBUF, then SO_RCVBUFFORCE); 0 asks for nothing (the kernel default).
    /// `nil` when the measurement cannot be made (no IPv4 loopback, a kernel without SO_MEMINFO).
    public static func measure(requestedBytes: Int) -> ReceiveBufferCapacity? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if requestedBytes > 0 { request(Int32(clamping: requestedBytes), on: fd) }
        var granted: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &length) == 0, granted > 0 else { return nil }
        guard let charge = chargeForOneReply(fd) else { return nil }
        return ReceiveBufferCapacity(grantedBytes: Int(granted), bytesPerReply: charge)
    }

    /// Asks for a `bytes` receive buffer on `fd`, as every c-ares UDP socket is asked (the
    /// channel's socket-configure callback calls this, so the measurement cannot drift from
    /// it): SO_RCVBUF, which the kernel caps at `net.core.rmem_max`, then SO_RCVBUFFORCE,
    /// which passes that cap with CAP_NET_ADMIN and is refused without it.
    static func request(_ bytes: Int32, on fd: Int32) {
        var size = bytes
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends one largest-size datagram to the socket itself and reads what it costs.
    private static func chargeForOneReply(_ fd: Int32) -> Int? {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var addressLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, addressLength) == 0 && getsockname(fd, $0, &addressLength) == 0
            }
        }
        guard bound else { return nil }
        let payload = [UInt8](repeating: 0, count: largestReply)
        let sent = payload.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, addressLength)
                }
            }
        }
        guard sent == largestReply else { return nil }
        // Loopback delivers in the sender's softirq, normally before sendto returns.
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, 1_000) == 1 else { return nil }
        var memInfo = [UInt32](repeating: 0, count: memInfoSlots)
        var length = socklen_t(MemoryLayout<UInt32>.size * memInfoSlots)
        guard getsockopt(fd, SOL_SOCKET, soMemInfo, &memInfo, &length) == 0, memInfo[0] > 0 else { return nil }
        return Int(memInfo[0])
    }
}

extension ResolverConfiguration {
    /// The most DNS queries each channel keeps in flight when its sockets get `receiveBuffer`:
    /// ``maxInFlightPerChannel``, lowered so that all channels together keep no more than
    /// the buffer holds (`nil`, unmeasured: as configured).
    ///
    /// All channels together, not each: then neither a channel's own socket overflows nor
    /// the socket of an upstream granted the same buffer — a local unbound or dnsmasq on
    /// this host under the same limits, which every channel's queries reach and which
    /// resolvd cannot measure.
    public func queryLimitPerChannel(receiveBuffer: ReceiveBufferCapacity?) -> Int {
        guard let receiveBuffer else { return maxInFlightPerChannel }
        return min(maxInFlightPerChannel, receiveBuffer.replies / channelCount)
    }
}
