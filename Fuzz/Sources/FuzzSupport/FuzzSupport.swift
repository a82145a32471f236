#if canImport(Glibc)
import Glibc
#endif

/// What more than one target needs: an upstream that fails every query at once, and a
/// directory for the databases a resolver reads.
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

/// A fresh directory under /tmp that the files of a target's resolver are written into.
public struct FuzzFiles {
    public let directory: String

    public init() {
        var template = Array("/tmp/resolvd-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { preconditionFailure("mkdtemp: \(errno)") }
        directory = String(cString: made)
    }

    /// Writes `text` to `name` in the directory; its path.
    public func write(_ text: String, to name: String) -> String {
        let path = directory + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0 && Glibc.write(fd, text, text.utf8.count) == text.utf8.count, "write \(path): \(errno)")
        close(fd)
        return path
    }
}
