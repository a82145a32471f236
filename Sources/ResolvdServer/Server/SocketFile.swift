#if canImport(Glibc)
import Glibc
#endif

/// The Unix socket's file: its directory, a stale file from a crashed run, its mode.
enum SocketFile {
    /// Creates the parent directory and refuses to steal a socket another daemon answers on.
    static func prepare(path: String) throws(ConfigurationError) {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let directory = String(path[..<slash])
            makeDirectories(directory)
        }
        if isAnswering(path: path) {
            throw ConfigurationError("\(path): another process is already listening on this socket")
        }
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw ConfigurationError("\(path): a Unix socket path must be shorter than 108 bytes")
        }
    }

    static func setMode(path: String, mode: UInt32) throws(ConfigurationError) {
        guard chmod(path, mode_t(mode)) == 0 else {
            throw ConfigurationError("\(path): chmod failed: \(String(cString: strerror(errno)))")
        }
    }

    static func remove(path: String) {
        unlink(path)
    }

    private static func makeDirectories(_ directory: String) {
        var current = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            current += "/" + component
            mkdir(current, 0o755)
        }
    }

    private static func isAnswering(path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8.prefix(107))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
