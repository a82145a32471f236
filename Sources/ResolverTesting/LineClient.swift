import ResolvdProtocol

#if canImport(Glibc)
import Glibc
#endif

/// A blocking protocol v1 client on a plain socket: sends lines, reads reply lines. Tests
/// use it to see the daemon's bytes exactly as they arrive. With a NUL `terminator` it
/// speaks Varlink instead (LineClient+Varlink.swift).
public final class LineClient {
    private let fd: Int32
    private var pending: [UInt8] = []
    /// What ends a message: "\n" for protocol v1, NUL for Varlink.
    public let terminator: UInt8
    /// Set when the daemon closed the connection.
    public private(set) var sawEOF = false

    public init(path: String, terminator: UInt8 = UInt8(ascii: "\n")) throws {
        // Connected before `self` is whole, so a failed connect never reaches deinit.
        fd = try UnixSocketAddress.connectedStreamSocket(path)
        self.terminator = terminator
    }

    private var closed = false

    /// Closes once; a second close (or deinit after close) must not close a descriptor
    /// number another test has reused meanwhile.
    public func close() {
        guard !closed else { return }
        closed = true
        let result = Glibc.close(fd)
        precondition(result == 0 || errno != EBADF, "LineClient closed descriptor \(fd), which was not open: closed twice")
    }

    deinit { close() }

    /// Sends a line, reading replies (kept for ``readLine(timeout:)``) whenever the socket
    /// will not take more: resolvd stops reading a client whose replies pile up
    /// (back-pressure), so a client that pipelines many requests and blocks in `write`
    /// without reading would wait for the daemon as the daemon waits for it.
    public func send(_ line: String) {
        let bytes = Array(line.utf8) + [terminator]
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                offset += written
                continue
            }
            guard written < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT) | (sawEOF ? 0 : Int16(POLLIN)), revents: 0)
            guard poll(&poller, 1, 10_000) > 0 else { return }
            if poller.revents & Int16(POLLIN) != 0 { readAvailable() }
        }
    }

    /// Reads what has arrived into `pending`, without waiting.
    private func readAvailable() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = Glibc.recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if count > 0 {
            pending += buffer[0..<count]
        } else if count == 0 {
            sawEOF = true
        }
    }

    public func sendRaw(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    /// Shuts down the sending side only: the daemon reads EOF, replies can still be read.
    public func shutdownSending() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// The next reply line, or nil on timeout or when the daemon closed the connection.
    public func readLine(timeout: Duration = .seconds(10)) -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = pending.firstIndex(of: terminator) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return nil }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000)
            guard poll(&poller, 1, max(1, milliseconds)) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count <= 0 {
                sawEOF = true
                return nil
            }
            pending += buffer[0..<count]
        }
    }

    /// The next reply, parsed.
    public func reply(timeout: Duration = .seconds(10)) -> JSONObject? {
        guard let line = readLine(timeout: timeout) else { return nil }
        return Array(line.utf8).withUnsafeBytes { raw in
            guard case .object(let object)? = try? JSONParser.parse(raw) else { return nil }
            return object
        }
    }

    /// Sends a request and reads replies until the one with its id.
    public func call(_ line: String, id: Int64, timeout: Duration = .seconds(10)) -> JSONObject? {
        send(line)
        while let reply = reply(timeout: timeout) {
            if reply["id"]?.intValue == id { return reply }
        }
        return nil
    }

    /// Asks `stats` (with ids from `nextID` on) until `key` has `value` or `timeout` passes; the last stats.
    @discardableResult
    public func waitForStat(_ key: String, toBe value: Int64, nextID: inout Int64, timeout: Duration = .seconds(5)) -> JSONObject? {
        let deadline = ContinuousClock.now + timeout
        var stats: JSONObject?
        // 5 ms at first, then up to 100 ms between polls: a daemon busy with thousands of
        // lookups (and slowed by ThreadSanitizer) is not kept busier answering `stats`.
        var pause: useconds_t = 5_000
        repeat {
            stats = call(#"{"id":\#(nextID),"op":"stats"}"#, id: nextID)?.result
            nextID += 1
            if stats?[key]?.intValue == value { break }
            usleep(pause)
            pause = min(pause * 2, 100_000)
        } while ContinuousClock.now < deadline
        return stats
    }

    /// True when the daemon has closed the connection (EOF within the timeout).
    public func isClosedByPeer(timeout: Duration = .seconds(5)) -> Bool {
        while readLine(timeout: timeout) != nil {}
        return sawEOF
    }
}

extension JSONObject {
    public var status: Int64? { self["status"]?.intValue }
    public var id: Int64? { self["id"]?.intValue }
    public var errorSymbol: String? { self["error"]?.stringValue }
    public var result: JSONObject? { self["result"]?.objectValue }
}
