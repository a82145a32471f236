import ResolvdProtocol
import ResolverCore
import ResolverTesting

#if canImport(Glibc)
import Glibc
#endif

/// One lookup at a time, as a program that calls getaddrinfo does: the latency of a single
/// call rather than a rate. On one kept v1 connection, each step of a run times three
/// things back to back — a cold lookup (a name resolvd has not seen), a cached lookup (one
/// of `cachedNames`, looked up once beforehand) and the upstream's own round trip for the
/// same kind of question (an A and an AAAA query for a fresh name, sent together on one
/// connected UDP socket, timed until both answers are in, as c-ares sends them) — so that
/// load that comes and goes falls on the three alike. "What resolvd adds to a cold lookup"
/// is then the cold p50 minus the upstream's p50.
///
/// It does not pipeline (``PipelinedClient`` does that) and parses no JSON: the reply's
/// id, status and number of `"address"` keys are scanned as bytes.
struct OneAtATimeWorkload {
    var socketPath: String
    var upstream: (host: String, port: UInt16)
    /// Steps per run (each one cold lookup, one cached lookup and one upstream round trip).
    var steps: Int
    var cachedNames: [String]

    struct Result {
        var cold: [UInt64] = []
        var cached: [UInt64] = []
        var upstream: [UInt64] = []
        var failures = 0
        var firstFailure: String?
    }

    func run(run index: Int) throws -> Result {
        let client = try SerialLineClient(path: socketPath)
        defer { client.close() }
        let udp = try SerialDNSClient(host: upstream.host, port: upstream.port)
        defer { udp.close() }
        var result = Result()
        func note(_ failure: String) {
            result.failures += 1
            if result.firstFailure == nil { result.firstFailure = failure }
        }
        for name in cachedNames {
            if let failure = try client.lookup(name).failure { note("cached warm-up \(name): \(failure)") }
        }
        result.cold.reserveCapacity(steps)
        result.cached.reserveCapacity(steps)
        result.upstream.reserveCapacity(steps)
        for step in 0..<steps {
            // The process id in the name: a daemon that outlives this process
            // (--external-socket) has not seen it either.
            let cold = try client.lookup("one\(getpid())r\(index)-\(step).wild.example.test")
            if let failure = cold.failure { note("cold: \(failure)") } else { result.cold.append(cold.nanoseconds) }
            let cached = try client.lookup(cachedNames[step % cachedNames.count])
            if let failure = cached.failure { note("cached: \(failure)") } else { result.cached.append(cached.nanoseconds) }
            switch udp.roundTrip("udp\(index)-\(step).wild.example.test") {
            case .success(let nanoseconds): result.upstream.append(nanoseconds)
            case .failure(let error): note("upstream: \(error.message)")
            }
        }
        return result
    }
}

/// A v1 connection used one request at a time: write a line, block until its reply.
private final class SerialLineClient {
    private let fd: Int32
    private var nextID: Int64 = 1
    private var buffer = [UInt8](repeating: 0, count: 65_536)
    private var request: [UInt8] = []

    init(path: String) throws {
        fd = try UnixSocketAddress.connectedStreamSocket(path)
    }

    func close() { _ = Glibc.close(fd) }

    /// One getaddrinfo (family unspec, socktype stream): its latency from the write to the
    /// read that completed the reply line, or what was wrong with the reply.
    func lookup(_ name: String) throws -> (nanoseconds: UInt64, failure: String?) {
        let id = nextID
        nextID += 1
        request.removeAll(keepingCapacity: true)
        request.append(contentsOf: #"{"id":"#.utf8)
        appendDecimal(id, to: &request)
        request.append(contentsOf: Request.Command.streamLookup(name).lineTail)
        let begin = monotonicNanoseconds()
        var written = 0
        while written < request.count {
            let n = request.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchError("resolvd closed the connection") }
            written += n
        }
        var filled = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchError("resolvd closed the connection") }
            filled += n
            if buffer[filled - 1] == UInt8(ascii: "\n") { break }
            guard filled < buffer.count else { throw BenchError("a reply longer than \(buffer.count) bytes") }
        }
        let nanoseconds = monotonicNanoseconds() - begin
        let line = buffer[0..<(filled - 1)]
        let status = ReplyScan.integer(after: ReplyScan.statusKey, in: line)
        guard ReplyScan.integer(after: ReplyScan.idKey, in: line) == id, status == Int64(ResultCode.noError.rawValue),
              ReplyScan.count(ReplyScan.addressKey, in: line) == 2 else {
            return (nanoseconds, "\(name): \(String(decoding: line, as: UTF8.self))")
        }
        return (nanoseconds, nil)
    }
}

/// A connected UDP socket to the upstream: an A and an AAAA query for one name, sent
/// together, timed until both answers (NOERROR, at least one record) are read.
private final class SerialDNSClient {
    struct Failure: Error { var message: String }

    private let fd: Int32
    private var nextID: UInt16 = 1
    private var buffer = [UInt8](repeating: 0, count: 4_096)

    init(host: String, port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw BenchError("not an IPv4 address: \(host)") }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { throw BenchError("connect \(host):\(port): \(String(cString: strerror(errno)))") }
    }

    func close() { _ = Glibc.close(fd) }

    func roundTrip(_ name: String) -> Result<UInt64, Failure> {
        let ids = (nextID, nextID &+ 1)
        nextID &+= 2
        let queries: [[UInt8]]
        do {
            queries = [try DNSWire.query(id: ids.0, name: name, type: 1, recursionDesired: true, ednsPayloadSize: nil),
                       try DNSWire.query(id: ids.1, name: name, type: 28, recursionDesired: true, ednsPayloadSize: nil)]
        } catch {
            return .failure(Failure(message: "\(error)"))
        }
        let begin = monotonicNanoseconds()
        for query in queries {
            guard query.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == query.count else {
                return .failure(Failure(message: "send: \(String(cString: strerror(errno)))"))
            }
        }
        var answered = (false, false)
        while !(answered.0 && answered.1) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 2_000) > 0 else { return .failure(Failure(message: "\(name): no answer within 2 s")) }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count >= 12 else { return .failure(Failure(message: "\(name): recv \(count)")) }
            let id = UInt16(buffer[0]) << 8 | UInt16(buffer[1])
            let rcode = buffer[3] & 0x0f
            let answers = Int(buffer[6]) << 8 | Int(buffer[7])
            guard id == ids.0 || id == ids.1 else { continue }  // a late answer to an earlier step
            guard rcode == 0, answers > 0 else { return .failure(Failure(message: "\(name): rcode \(rcode), \(answers) answers")) }
            if id == ids.0 { answered.0 = true } else { answered.1 = true }
        }
        return .success(monotonicNanoseconds() - begin)
    }
}
