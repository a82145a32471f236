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

    /// A stream socket connected to `path` (close-on-exec, so processes other tests spawn do
    /// not inherit it), or a thrown error naming the path and errno.
    ///
    /// Clients call it before they initialise their own stored properties: a class whose
    /// initialiser throws once it is fully initialised is deinitialised, and a client that
    /// closed its descriptor on the way out and again in `deinit` closed a number another
    /// thread may have been given meanwhile (a resolver's eventfd was, and its shutdown
    /// hung: docs/reliability.md).
    public static func connectedStreamSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw FixtureError.fromErrno("socket") }
        guard with(path, { connect(fd, $0, $1) }) == 0 else {
            let error = FixtureError("connect \(path): \(String(cString: strerror(errno)))")
            close(fd)
            throw error
        }
        return fd
    }
}
