import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The uid owning a local client's socket, asked of the kernel (NETLINK_SOCK_DIAG, one
/// `inet_diag` request by the exact address pair, RFC-less but `ss` uses it): on loopback
/// every program is the source 127.0.0.1 or ::1, so the stub's bounds and the upstream
/// share key local clients by uid instead, as the Unix sockets do with SO_PEERCRED.
///
/// One netlink socket per event loop's handler, a request and a reply per question
/// (~10 µs); only asked for a loopback source. It does not cache (a port is reused by
/// another program as soon as it is closed) and gives nil when the kernel does not answer
/// (no such socket any more, netlink refused): the source address then stands for it.
struct StubSourceUID {
    private var descriptor: Int32 = -1
    private var sequence: UInt32 = 0

    /// Whether `address` is a loopback address (127.0.0.0/8, ::1), where the uid is asked.
    static func isLoopback(_ address: SocketAddress) -> Bool {
        switch address {
        case .v4(let v4): return UInt32(bigEndian: v4.address.sin_addr.s_addr) >> 24 == 127
        case .v6(let v6):
            var loopback = in6addr_loopback
            var address = v6.address.sin6_addr
            return memcmp(&address, &loopback, MemoryLayout<in6_addr>.size) == 0
        default: return false
        }
    }

    /// The uid of the socket at `client` talking to `server` over UDP or TCP; nil if unknown.
    mutating func uid(client: SocketAddress, server: SocketAddress, tcp: Bool) -> uid_t? {
        guard let family = Self.family(client), Self.family(server) == family, let clientPort = client.port, let serverPort = server.port
        else { return nil }
        if descriptor < 0 {
            descriptor = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 4)  // NETLINK_SOCK_DIAG
            guard descriptor >= 0 else { return nil }
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        sequence &+= 1
        // inet_diag's lookup is from the socket's side: for TCP `src` is its local end; for
        // UDP `src` is the peer it would receive from (udp_dump_one → __udp4_lib_lookup).
        let (source, sourcePort, destination, destinationPort) =
            tcp ? (client, clientPort, server, serverPort) : (server, serverPort, client, clientPort)
        var request = [UInt8](repeating: 0, count: 16 + 56)
        Self.put32(UInt32(request.count), at: 0, in: &request)
        Self.put16(20, at: 4, in: &request)  // SOCK_DIAG_BY_FAMILY
        Self.put16(1, at: 6, in: &request)  // NLM_F_REQUEST
        Self.put32(sequence, at: 8, in: &request)
        request[16] = UInt8(family)
        request[17] = UInt8(tcp ? Int32(IPPROTO_TCP) : Int32(IPPROTO_UDP))
        Self.put32(.max, at: 20, in: &request)  // every state
        request[24] = UInt8(sourcePort >> 8)
        request[25] = UInt8(sourcePort & 0xFF)
        request[26] = UInt8(destinationPort >> 8)
        request[27] = UInt8(destinationPort & 0xFF)
        Self.putAddress(source, at: 28, in: &request)
        Self.putAddress(destination, at: 44, in: &request)
        Self.put32(.max, at: 64, in: &request)  // INET_DIAG_NOCOOKIE
        Self.put32(.max, at: 68, in: &request)
        // No address: an unconnected netlink socket sends to the kernel (port id 0).
        let sent = send(descriptor, request, request.count, 0)
        guard sent == request.count else { return nil }
        var reply = [UInt8](repeating: 0, count: 512)
        while true {
            let count = recv(descriptor, &reply, reply.count, 0)
            guard count >= 16 else { return nil }
            let type = UInt16(reply[4]) | UInt16(reply[5]) << 8
            let replySequence = UInt32(reply[8]) | UInt32(reply[9]) << 8 | UInt32(reply[10]) << 16 | UInt32(reply[11]) << 24
            guard replySequence == sequence else { continue }  // a late reply to an earlier request
            guard type == 20, count >= 16 + 72 else { return nil }  // NLMSG_ERROR: no such socket
            return UInt32(reply[80]) | UInt32(reply[81]) << 8 | UInt32(reply[82]) << 16 | UInt32(reply[83]) << 24
        }
    }

    mutating func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    private static func family(_ address: SocketAddress) -> Int32? {
        switch address {
        case .v4: AF_INET
        case .v6: AF_INET6
        default: nil
        }
    }

    private static func putAddress(_ address: SocketAddress, at offset: Int, in out: inout [UInt8]) {
        switch address {
        case .v4(let v4):
            withUnsafeBytes(of: v4.address.sin_addr) { for (index, byte) in $0.enumerated() { out[offset + index] = byte } }
        case .v6(let v6):
            withUnsafeBytes(of: v6.address.sin6_addr) { for (index, byte) in $0.enumerated() { out[offset + index] = byte } }
        default:
            break
        }
    }

    private static func put16(_ value: UInt16, at offset: Int, in out: inout [UInt8]) {
        out[offset] = UInt8(value & 0xFF)
        out[offset + 1] = UInt8(value >> 8)
    }

    /// Netlink's headers are in host order (little-endian here, as everywhere resolvd runs).
    private static func put32(_ value: UInt32, at offset: Int, in out: inout [UInt8]) {
        for index in 0..<4 { out[offset + index] = UInt8((value >> UInt32(8 * index)) & 0xFF) }
    }
}
