#if canImport(Glibc)
import Glibc
#endif

/// Listening sockets handed over by systemd (socket activation, sd_listen_fds(3)): when
/// `LISTEN_PID` is this process, descriptors 3 … 3+`LISTEN_FDS`-1, named by `LISTEN_FDNAMES`.
///
/// It only finds, checks and describes the descriptors; ``ResolvdDaemon`` adopts them.
/// Every socket must be a listening `AF_UNIX` stream socket (peer credentials, and so the
/// admin checks, exist only there), or — named `dns` (`FileDescriptorName=dns`) — an IPv4
/// or IPv6 UDP socket or listening TCP socket for the DNS stub listener (docs/stub.md);
/// anything else is a configuration error.
public enum SocketActivation {
    /// One descriptor passed by the service manager.
    public struct ListenSocket: Sendable, Hashable {
        public var descriptor: Int32
        /// Its `FileDescriptorName=` (default: the socket unit's name).
        public var name: String
        /// The path it is bound to, `@name` for an abstract socket.
        public var path: String
    }

    /// A socket for the DNS stub listener: UDP, or TCP listening.
    public struct DNSSocket: Sendable, Hashable {
        public var descriptor: Int32
        public var isDatagram: Bool
    }

    /// The name that makes an inet socket the DNS stub's.
    public static let dnsName = "dns"

    /// The first descriptor systemd passes (SD_LISTEN_FDS_START).
    public static let firstDescriptor: Int32 = 3

    /// Reads `LISTEN_PID`/`LISTEN_FDS`/`LISTEN_FDNAMES` from `environment`; an empty list
    /// when they are absent or meant for another process. Marks the descriptors close-on-exec.
    public static func listenSockets(environment: [String: String], pid: pid_t = getpid()) throws(ConfigurationError) -> [ListenSocket] {
        try sockets(environment: environment, pid: pid).listen
    }

    /// The Unix sockets to serve the protocols on, and the DNS stub's sockets.
    public static func sockets(
        environment: [String: String], pid: pid_t = getpid()
    ) throws(ConfigurationError) -> (listen: [ListenSocket], dns: [DNSSocket]) {
        guard let pidText = environment["LISTEN_PID"], let listenPID = pid_t(pidText), listenPID == pid else { return ([], []) }
        guard let countText = environment["LISTEN_FDS"], let count = Int32(countText), count > 0, count < 1024 else { return ([], []) }
        let names = environment["LISTEN_FDNAMES"].map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) } ?? []
        var sockets: [ListenSocket] = []
        var dns: [DNSSocket] = []
        for index in 0..<count {
            let fd = firstDescriptor + index
            let name = Int(index) < names.count ? names[Int(index)] : "unknown"
            let flags = fcntl(fd, F_GETFD)
            guard flags >= 0 else { throw ConfigurationError("socket activation: descriptor \(fd) (\(name)) is not open") }
            _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC)
            let domain = integerOption(fd, SO_DOMAIN)
            if name == dnsName, domain == AF_INET || domain == AF_INET6 {
                let type = integerOption(fd, SO_TYPE)
                let isDatagram = type == Int32(SOCK_DGRAM.rawValue)
                guard isDatagram || (type == Int32(SOCK_STREAM.rawValue) && integerOption(fd, SO_ACCEPTCONN) == 1) else {
                    throw ConfigurationError(
                        "socket activation: descriptor \(fd) (dns) is neither UDP nor a listening TCP socket; use ListenDatagram= and ListenStream=ADDR:PORT")
                }
                dns.append(DNSSocket(descriptor: fd, isDatagram: isDatagram))
                continue
            }
            guard integerOption(fd, SO_DOMAIN) == AF_UNIX, integerOption(fd, SO_TYPE) == Int32(SOCK_STREAM.rawValue),
                integerOption(fd, SO_ACCEPTCONN) == 1
            else {
                throw ConfigurationError(
                    "socket activation: descriptor \(fd) (\(name)) is not a listening Unix stream socket; use ListenStream=/path")
            }
            sockets.append(ListenSocket(descriptor: fd, name: name, path: boundPath(fd)))
        }
        return (sockets, dns)
    }

    /// The variables sd_listen_fds(3) removes once it has read them, so children do not inherit them.
    public static let environmentVariables = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"]

    private static func integerOption(_ fd: Int32, _ name: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
    }

    private static func boundPath(_ fd: Int32) -> String {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return "fd:\(fd)" }
        let pathLength = Int(length) - MemoryLayout<sa_family_t>.size
        guard pathLength > 0 else { return "fd:\(fd)" }
        let bytes = withUnsafeBytes(of: &address.sun_path) { Array($0.prefix(pathLength)) }
        if bytes.first == 0 { return "@" + String(decoding: bytes.dropFirst(), as: UTF8.self) }
        return String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}
