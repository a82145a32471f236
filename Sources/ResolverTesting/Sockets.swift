import Glibc

/// Thin wrappers over the BSD socket calls the fixtures need. IPv4 loopback only.
enum Socket {
    static func address(host: String = "127.0.0.1", port: UInt16) throws -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            throw FixtureError("not an IPv4 address: \(host)")
        }
        return addr
    }

    /// A new close-on-exec socket, so spawned servers never inherit it. UDP sockets get
    /// large buffers (see ``raiseBuffers(_:)``).
    static func make(_ type: __socket_type, nonBlocking: Bool = false) throws -> Int32 {
        var flags = Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { flags |= Int32(SOCK_NONBLOCK.rawValue) }
        let fd = socket(AF_INET, flags, 0)
        guard fd >= 0 else { throw FixtureError.fromErrno("socket") }
        if type == SOCK_DGRAM { raiseBuffers(fd) }
        return fd
    }

    /// Asks for 8 MiB send and receive buffers: forced past net.core.rmem_max/wmem_max when
    /// privileged (CAP_NET_ADMIN), else as much as the kernel allows. A fixture that relays
    /// a burst of a thousand datagrams must not be where they are dropped.
    static func raiseBuffers(_ fd: Int32, bytes: Int32 = 8 << 20) {
        var size = bytes
        let length = socklen_t(MemoryLayout<Int32>.size)
        for (plain, forced) in [(SO_RCVBUF, SO_RCVBUFFORCE), (SO_SNDBUF, SO_SNDBUFFORCE)] {
            _ = setsockopt(fd, SOL_SOCKET, plain, &size, length)
            _ = setsockopt(fd, SOL_SOCKET, forced, &size, length)
        }
    }

    /// Binds to 127.0.0.1:port; returns errno on failure, 0 on success.
    static func bind(_ fd: Int32, port: UInt16, reuseAddress: Bool = false) -> Int32 {
        if reuseAddress {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = try! address(port: port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc == 0 ? 0 : errno
    }

    static func connect(_ fd: Int32, host: String, port: UInt16) throws {
        var addr = try address(host: host, port: port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw FixtureError.fromErrno("connect to \(host):\(port)") }
    }

    static func localPort(_ fd: Int32) throws -> UInt16 {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { throw FixtureError.fromErrno("getsockname") }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// A UDP socket and a TCP socket bound to the same free loopback port. The port is
    /// chosen by binding UDP to port 0 and retried when TCP cannot have the same number.
    /// `listenBacklog` non-nil makes the TCP socket listen.
    static func udpAndTCP(listenBacklog: Int32?, nonBlocking: Bool = true) throws -> (udp: Int32, tcp: Int32, port: UInt16) {
        var lastError = "no attempt"
        for _ in 0..<64 {
            let udp = try make(SOCK_DGRAM, nonBlocking: nonBlocking)
            let udpError = bind(udp, port: 0)
            guard udpError == 0 else {
                close(udp)
                lastError = "bind UDP: \(String(cString: strerror(udpError)))"
                continue
            }
            let port = try localPort(udp)
            let tcp = try make(SOCK_STREAM, nonBlocking: nonBlocking)
            let tcpError = bind(tcp, port: port, reuseAddress: true)
            if tcpError == 0, listenBacklog.map({ listen(tcp, $0) == 0 }) ?? true {
                return (udp, tcp, port)
            }
            lastError = "bind TCP \(port): \(String(cString: strerror(tcpError == 0 ? errno : tcpError)))"
            close(tcp)
            close(udp)
        }
        throw FixtureError("no free loopback port for UDP and TCP: \(lastError)")
    }

    /// A loopback port free for both UDP and TCP at the moment of the call, with nothing
    /// left bound to it (for a child process to bind).
    static func freePort() throws -> UInt16 {
        let (udp, tcp, port) = try udpAndTCP(listenBacklog: nil)
        close(udp)
        close(tcp)
        return port
    }

    static func receive(_ fd: Int32, maxSize: Int = 65_535) -> (bytes: [UInt8], from: sockaddr_in)? {
        var buffer = [UInt8](repeating: 0, count: maxSize)
        var from = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let n = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(fd, raw.baseAddress, raw.count, 0, $0, &len)
                }
            }
        }
        guard n >= 0 else { return nil }
        return (Array(buffer[0..<n]), from)
    }

    @discardableResult
    static func send(_ fd: Int32, _ bytes: [UInt8], to address: sockaddr_in) -> Bool {
        var to = address
        let n = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &to) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return n == bytes.count
    }

    /// Writes all of `bytes` to a stream socket, waiting up to `timeoutMs` whenever it is full.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], timeoutMs: Int32 = 2_000) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                offset += n
            } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&pfd, 1, timeoutMs) <= 0 { return false }
            } else {
                return false
            }
        }
        return true
    }
}

extension Duration {
    /// Whole milliseconds, rounded up, clamped to what poll() accepts.
    var pollMilliseconds: Int32 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let ms = seconds * 1_000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: ms)
    }
}

/// A loopback port that was free for UDP and TCP a moment ago. Another process can take it
/// before the caller's server binds it: callers try again with another when the bind fails.
public func freeLoopbackPort() throws -> UInt16 {
    try Socket.freePort()
}
