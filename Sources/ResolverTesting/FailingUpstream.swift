import Glibc

/// A loopback DNS server that answers every query, over UDP and over TCP (2-byte length
/// framing), with the same error rcode, echoing the id, opcode, RD bit and question, with
/// no records. A query whose question cannot be parsed gets FORMERR.
public final class FailingUpstream: Sendable {
    public enum Failure: UInt8, Sendable, CaseIterable {
        case formatError = 1
        case serverFailure = 2
        case notImplemented = 4
        case refused = 5
    }

    public let host: String = "127.0.0.1"
    public let port: UInt16
    public let failure: Failure
    public var serverAddress: String { "\(host):\(port)" }

    /// Queries received so far, UDP and TCP.
    public var queriesReceived: Int { counter.current }

    private let counter: Locked<Int>
    private let worker: WorkerThread

    private init(port: UInt16, failure: Failure, counter: Locked<Int>, worker: WorkerThread) {
        self.port = port
        self.failure = failure
        self.counter = counter
        self.worker = worker
    }

    public static func start(failure: Failure = .serverFailure) throws -> FailingUpstream {
        let (udp, tcp, port) = try Socket.udpAndTCP(listenBacklog: 128)
        let counter = Locked(0)
        let rcode = failure.rawValue
        let worker: WorkerThread
        do {
            worker = try WorkerThread(name: "FailingUpstream") { wake in
                serve(udp: udp, tcp: tcp, wake: wake, rcode: rcode, counter: counter)
            }
        } catch {
            close(udp)
            close(tcp)
            throw error
        }
        return FailingUpstream(port: port, failure: failure, counter: counter, worker: worker)
    }

    /// Stops the responder thread and closes its sockets. Idempotent.
    public func stop() { worker.stop() }

    deinit { stop() }

    private static func serve(udp: Int32, tcp: Int32, wake: Int32, rcode: UInt8, counter: Locked<Int>) {
        /// Accepted TCP connections and the bytes read from each so far.
        var connections: [Int32: [UInt8]] = [:]
        defer {
            for fd in connections.keys { close(fd) }
            close(udp)
            close(tcp)
        }
        var buffer = [UInt8](repeating: 0, count: 65_535)
        while true {
            let order = Array(connections.keys)
            var fds = [wake, udp, tcp].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            fds += order.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[0].revents != 0 { return }
            if fds[1].revents != 0 {
                while let (query, from) = Socket.receive(udp) {
                    counter.withLock { $0 += 1 }
                    if let reply = DNSWire.emptyReply(to: query, rcode: rcode) {
                        Socket.send(udp, reply, to: from)
                    }
                }
            }
            if fds[2].revents != 0 {
                while true {
                    let fd = accept(tcp, nil, nil)
                    guard fd >= 0 else { break }
                    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                    connections[fd] = []
                }
            }
            for (index, fd) in order.enumerated() where fds[3 + index].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                guard n > 0 else {
                    close(fd)
                    connections[fd] = nil
                    continue
                }
                var pending = connections[fd, default: []] + buffer[0..<n]
                var keep = true
                while pending.count >= 2 {
                    let length = Int(pending[0]) << 8 | Int(pending[1])
                    guard pending.count >= 2 + length else { break }
                    let query = Array(pending[2..<(2 + length)])
                    pending.removeFirst(2 + length)
                    counter.withLock { $0 += 1 }
                    guard let reply = DNSWire.emptyReply(to: query, rcode: rcode),
                          Socket.writeAll(fd, [UInt8(reply.count >> 8), UInt8(reply.count & 0xff)] + reply)
                    else { keep = false; break }
                }
                if keep {
                    connections[fd] = pending
                } else {
                    close(fd)
                    connections[fd] = nil
                }
            }
        }
    }
}
