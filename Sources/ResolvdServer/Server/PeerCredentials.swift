import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Who is at the other end of a Unix socket connection: the pid, uid and gid the kernel
/// recorded when the client connected (SO_PEERCRED).
///
/// Read once per connection (in ``ConnectionHandler``'s `channelActive`); the values are
/// the client's at connect time and cannot be forged by the client. It does not decide
/// what the peer may do: ``AdminPolicy`` does.
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    public var pid: pid_t
    public var uid: uid_t
    public var gid: gid_t

    public init(pid: pid_t, uid: uid_t, gid: gid_t) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "pid=\(pid) uid=\(uid) gid=\(gid)" }

    /// The credentials of a connected Unix socket channel. Call it on the channel's event
    /// loop: the answer is then immediate. Nil for channels that are not Unix sockets.
    static func read(from channel: any Channel, _ body: @escaping @Sendable (PeerCredentials?) -> Void) {
        guard let provider = channel as? any SocketOptionProvider else { return body(nil) }
        let future: EventLoopFuture<RawCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        future.whenComplete { result in
            switch result {
            case .success(let credentials) where credentials.pid > 0:
                body(PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid))
            default:
                body(nil)
            }
        }
    }

    /// The credentials of a connected Unix socket descriptor.
    public static func read(descriptor: Int32) -> PeerCredentials? {
        var credentials = RawCredentials()
        var length = socklen_t(MemoryLayout<RawCredentials>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.pid > 0 else { return nil }
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }

    /// The supplementary groups of the peer process, from the `Groups:` line of
    /// /proc/PID/status; nil when that file cannot be read (the process has gone, or /proc
    /// hides other users' processes, as under `ProtectProc=invisible`).
    public func supplementaryGroups(procRoot: String = "/proc") -> [gid_t]? {
        guard let file = fopen("\(procRoot)/\(pid)/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = line.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            guard text.hasPrefix("Groups:") else { continue }
            return text.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
                .compactMap { gid_t($0) }
        }
        return nil
    }

    /// `struct ucred` (socket(7)), which the Glibc module exposes only with _GNU_SOURCE.
    private struct RawCredentials: Sendable {
        var pid: pid_t = 0
        var uid: uid_t = 0
        var gid: gid_t = 0
    }
}
