import Glibc

/// A loopback UDP port where nothing listens, held for as long as this object lives: every
/// datagram sent to it is answered with ICMP port unreachable, so a DNS client sees the
/// connection refused (c-ares: ARES_ECONNREFUSED) at once.
///
/// The port is kept by a UDP socket bound to it and connected to another address (the
/// discard port): Linux delivers a datagram to a connected UDP socket only from its peer,
/// so everyone else finds the port closed — yet no other process or fixture can be given
/// the port meanwhile, as it could after closing a socket. It does not cover TCP, which a
/// DNS client only tries after a truncated UDP answer.
public final class RefusingPort: Sendable {
    public let host: String = "127.0.0.1"
    public let port: UInt16
    public var serverAddress: String { "\(host):\(port)" }

    /// The socket while open; nil once stopped.
    private let socket: Locked<Int32?>

    public init() throws {
        let fd = try Socket.make(SOCK_DGRAM)
        let bindError = Socket.bind(fd, port: 0)
        do {
            guard bindError == 0 else { throw FixtureError("bind UDP: \(String(cString: strerror(bindError)))") }
            port = try Socket.localPort(fd)
            try Socket.connect(fd, host: "127.0.0.1", port: 9)
        } catch {
            close(fd)
            throw error
        }
        socket = Locked(fd)
    }

    /// Closes the socket; the port is then free for anyone. Idempotent.
    public func stop() {
        guard let fd = socket.withLock({ s -> Int32? in defer { s = nil }; return s }) else { return }
        close(fd)
    }

    deinit { stop() }
}
