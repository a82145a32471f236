#if canImport(Glibc)
import Glibc
#endif

/// A `sockaddr_un` for a Unix socket path, for the test and benchmark clients that
/// connect to (or bind) resolvd's sockets with plain system calls.
public enum UnixSocketAddress {
    /// Calls `body` with the address of `path` (at most 107 bytes are used) and its length.
    public static func with<Result>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(107).enumerated() { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
