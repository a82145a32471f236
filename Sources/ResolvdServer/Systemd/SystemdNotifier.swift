#if canImport(Glibc)
import Glibc
#endif

import ResolverCore

/// Sends sd_notify(3) state changes to the service manager: one datagram per message to
/// the Unix socket named by `NOTIFY_SOCKET`, as `KEY=VALUE` lines.
///
/// resolvd writes the datagrams itself instead of linking libsystemd: the protocol is
/// small, documented as stable (sd_notify(3), "Notify socket protocol") and this keeps the
/// binary free of a C dependency that a container or a non-systemd host may not have.
///
/// It does not decide *when* to notify (``ResolvdDaemon`` and ``Watchdog`` do), and it never
/// blocks: a manager that stops reading loses messages rather than stalling an event loop.
/// Sending from several threads at once is safe: each message is one `sendto` on a
/// descriptor that never changes after `init`.
public final class SystemdNotifier: Sendable {
    /// The `NOTIFY_SOCKET` value: a path, or `@name` for an abstract socket.
    public let socketPath: String
    private let descriptor: Int32

    /// Opens a datagram socket for `NOTIFY_SOCKET`; nil when the value is empty or unusable.
    public init?(notifySocket: String) {
        guard notifySocket.hasPrefix("/") || notifySocket.hasPrefix("@"), notifySocket.utf8.count < 108 else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        self.socketPath = notifySocket
        self.descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    /// Sends one message (newline-separated `KEY=VALUE` assignments); false if it was not sent.
    @discardableResult
    public func send(_ message: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count)
        let bytes = Array(message.utf8)
        let sent = bytes.withUnsafeBytes { payload in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, payload.baseAddress, payload.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT), $0, length)
                }
            }
        }
        return sent == bytes.count
    }

    /// `READY=1`: the socket accepts connections (start-up done, or a reload finished).
    @discardableResult
    public func ready(status: String) -> Bool {
        send("READY=1\nSTATUS=\(Self.oneLine(status))")
    }

    /// `RELOADING=1` with `MONOTONIC_USEC`, which systemd requires to match a reload to its READY=1.
    @discardableResult
    public func reloading(status: String) -> Bool {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())\nSTATUS=\(Self.oneLine(status))")
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    public func stopping(status: String) -> Bool {
        send("STOPPING=1\nSTATUS=\(Self.oneLine(status))")
    }

    /// `STATUS=`: a one-line description shown by `systemctl status`.
    @discardableResult
    public func status(_ text: String) -> Bool {
        send("STATUS=\(Self.oneLine(text))")
    }

    /// `WATCHDOG=1`: the keep-alive ping.
    @discardableResult
    public func watchdog() -> Bool {
        send("WATCHDOG=1")
    }

    /// CLOCK_MONOTONIC in microseconds, the clock systemd compares MONOTONIC_USEC against.
    static func monotonicMicroseconds() -> UInt64 {
        MonotonicClock.microseconds()
    }

    /// A STATUS= value must not contain a newline: it would start a new assignment.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
