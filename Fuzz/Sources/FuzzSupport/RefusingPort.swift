#if canImport(Glibc)
import Glibc
#endif

/// What more than one target needs: an upstream that fails every query at once.
public enum RefusingPort {
    /// A loopback UDP port that was bound and closed: queries to it are refused (ICMP).
    public static func make() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let port = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                precondition(bind(fd, address, length) == 0 && getsockname(fd, address, &length) == 0, "bind: \(errno)")
            }
            return UInt16(bigEndian: pointer.pointee.sin_port)
        }
        close(fd)
        return port
    }
}
