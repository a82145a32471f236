extension DaemonConfiguration {
    /// Where the Varlink socket (io.systemd.Resolve, docs/varlink.md) is bound:
    /// `--varlink-socket PATH|none`, `varlink_socket = PATH|none`.
    public enum VarlinkSocket: Hashable, Sendable {
        /// `io.systemd.Resolve` in the directory of the protocol v1 socket, so that two
        /// daemons with different `--socket` never share one.
        case besideSocket
        case path(String)
        /// No Varlink socket.
        case none

        /// `none` or a path.
        init(setting: String) {
            self = setting == "none" ? .none : .path(setting)
        }
    }

    /// The file name of the default Varlink socket: the one glibc's nss-resolve connects to
    /// under /run/systemd/resolve/.
    public static let varlinkSocketName = "io.systemd.Resolve"

    /// The Varlink socket's path, or nil for none (ignored under socket activation, where
    /// the descriptors named `varlink` speak Varlink).
    public var varlinkSocketPath: String? {
        switch varlinkSocket {
        case .none: return nil
        case .path(let path): return path
        case .besideSocket:
            guard let slash = socketPath.lastIndex(of: "/") else { return Self.varlinkSocketName }
            return String(socketPath[...slash]) + Self.varlinkSocketName
        }
    }
}
