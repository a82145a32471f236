import Glibc

/// A loopback "DNS server" that never answers: a bound UDP socket nobody reads, and a TCP
/// socket on the same port that listens (so connects succeed via the backlog) but never
/// accepts or reads. Queries to it time out rather than being refused.
public final class SilentUpstream: Sendable {
    public let host: String = "127.0.0.1"
    public let port: UInt16
    public var serverAddress: String { "\(host):\(port)" }

    /// (udp, tcp) while open; nil once stopped.
    private let sockets: Locked<(udp: Int32, tcp: Int32)?>

    private init(udp: Int32, tcp: Int32, port: UInt16) {
        self.port = port
        sockets = Locked((udp, tcp))
    }

    public static func start() throws -> SilentUpstream {
        let (udp, tcp, port) = try Socket.udpAndTCP(listenBacklog: 128)
        return SilentUpstream(udp: udp, tcp: tcp, port: port)
    }

    /// Closes both sockets; the port then refuses. Idempotent.
    public func stop() {
        guard let open = sockets.withLock({ s -> (udp: Int32, tcp: Int32)? in defer { s = nil }; return s }) else { return }
        close(open.udp)
        close(open.tcp)
    }

    deinit { stop() }
}
