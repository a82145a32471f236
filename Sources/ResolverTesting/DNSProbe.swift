import Glibc
import ResolverCore

/// A tiny synchronous UDP DNS client: one query, one reply. For readiness waits and for
/// checking fixtures; not a resolver.
public enum DNSProbe {
    public struct Reply: Sendable, Hashable {
        public var id: UInt16
        /// The header rcode (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ...).
        public var rcode: UInt8
        public var isAuthoritative: Bool
        public var isTruncated: Bool
        public var answerCount: Int
        public var authorityCount: Int
        public var additionalCount: Int
        /// The whole reply as received.
        public var bytes: [UInt8]

        init?(_ bytes: [UInt8]) {
            guard bytes.count >= 12 else { return nil }
            func u16(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
            id = UInt16(u16(0))
            rcode = bytes[3] & 0x0f
            isAuthoritative = bytes[2] & 0x04 != 0
            isTruncated = bytes[2] & 0x02 != 0
            answerCount = u16(6)
            authorityCount = u16(8)
            additionalCount = u16(10)
            self.bytes = bytes
        }
    }

    public enum ProbeError: Error, Sendable, Equatable {
        /// No reply with the right id arrived within the timeout.
        case timeout
        /// The port is closed (ICMP port unreachable).
        case refused
        case failed(String)
    }

    public static func query(
        _ name: String,
        type: DNSRecordType = .a,
        host: String = "127.0.0.1",
        port: UInt16,
        timeout: Duration = .seconds(2),
        recursionDesired: Bool = true,
        ednsPayloadSize: UInt16? = nil
    ) throws(ProbeError) -> Reply {
        try query(name, typeNumber: type.number, host: host, port: port, timeout: timeout,
                  recursionDesired: recursionDesired, ednsPayloadSize: ednsPayloadSize)
    }

    public static func query(
        _ name: String,
        typeNumber: UInt16,
        host: String = "127.0.0.1",
        port: UInt16,
        timeout: Duration = .seconds(2),
        recursionDesired: Bool = true,
        ednsPayloadSize: UInt16? = nil
    ) throws(ProbeError) -> Reply {
        let id = UInt16.random(in: 0...UInt16.max)
        let fd: Int32
        let message: [UInt8]
        do {
            message = try DNSWire.query(id: id, name: name, type: typeNumber,
                                        recursionDesired: recursionDesired, ednsPayloadSize: ednsPayloadSize)
            fd = try Socket.make(SOCK_DGRAM, nonBlocking: true)
        } catch {
            throw .failed("\(error)")
        }
        defer { close(fd) }
        do {
            try Socket.connect(fd, host: host, port: port)
        } catch {
            throw .failed("\(error)")
        }
        let sent = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == message.count else { throw .failed("send: \(String(cString: strerror(errno)))") }

        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65_535)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else { throw .timeout }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, remaining.pollMilliseconds)
            if ready < 0 && errno != EINTR { throw .failed("poll: \(String(cString: strerror(errno)))") }
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == ECONNREFUSED { throw .refused }
                if errno == EAGAIN || errno == EINTR { continue }
                throw .failed("recv: \(String(cString: strerror(errno)))")
            }
            // Replies to someone else's query (wrong id) are ignored, as a resolver would.
            if let reply = Reply(Array(buffer[0..<n])), reply.id == id { return reply }
        }
    }
}
