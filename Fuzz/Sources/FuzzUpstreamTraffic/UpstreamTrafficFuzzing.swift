import Histogram
import Synchronization

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// The checks of the libFuzzer target over what reads every upstream reply through unsafe
/// pointers: ``DNSStreamScanner``, ``DNSQuestionFingerprint`` and ``UpstreamTraffic``'s
/// bookkeeping of queries and replies (`send`/`receive`, as c-ares calls them).
///
/// The input is a script: records of one byte (the operation, modulo 4), one byte (a length)
/// and that many bytes — a UDP query, a UDP reply, TCP query bytes, TCP reply bytes —
/// played on real loopback sockets between an ``UpstreamTraffic`` and a fake upstream (a UDP
/// socket and a TCP listener on one port of 127.0.0.1). The libFuzzer buffer is itself read
/// by the scanner and the fingerprint, so AddressSanitizer sees any read past its end.
///
/// Trapping (so libFuzzer reports a crash) when a promise is broken:
/// - the scanner reports the same headers whatever pieces the stream comes in, and the same
///   as a plain reading of the framing;
/// - a fingerprint ignores ASCII case, the header and what follows the question, and is
///   ``DNSQuestionFingerprint/unknown`` exactly when there is no readable question;
/// - the upstream's counters (queries, answers, SERVFAIL, REFUSED, TC, timeouts, matched
///   round trips) are those of a model that matches each reply to the newest query in
///   flight with its id and question, and counts a query sent again as a timed-out try;
///   after a sweep far in the future, every query still in flight has timed out.
enum UpstreamTrafficFuzzing {
    static func fuzz(_ data: UnsafeRawBufferPointer) {
        checkScanner(data)
        checkFingerprint(data)
        playScript(data)
    }

    // MARK: - DNSStreamScanner

    typealias Header = (id: UInt16, flags1: UInt8, flags2: UInt8)

    /// The headers of the messages in `stream` (2-byte length, message), read plainly: one
    /// per message of at least 4 bytes whose first 4 bytes are in the stream.
    static func referenceHeaders(_ stream: [UInt8]) -> [Header] {
        var headers: [Header] = []
        var position = 0
        while position + 2 <= stream.count {
            let length = Int(stream[position]) << 8 | Int(stream[position + 1])
            let start = position + 2
            if length >= 4 && start + 4 <= stream.count {
                headers.append((UInt16(stream[start]) << 8 | UInt16(stream[start + 1]), stream[start + 2], stream[start + 3]))
            }
            position = start + length
        }
        return headers
    }

    static func scan(_ data: UnsafeRawBufferPointer, pieces: [Int]) -> [Header] {
        var scanner = DNSStreamScanner()
        var headers: [Header] = []
        var offset = 0
        var next = 0
        while offset < data.count {
            let size = min(data.count - offset, pieces.isEmpty ? data.count : max(1, pieces[next % pieces.count]))
            next += 1
            scanner.consume(UnsafeRawBufferPointer(rebasing: data[offset..<offset + size])) { headers.append(($0, $1, $2)) }
            offset += size
        }
        return headers
    }

    static func checkScanner(_ data: UnsafeRawBufferPointer) {
        let expected = referenceHeaders(Array(data))
        let whole = scan(data, pieces: [])
        // Piece sizes from the input itself (1…16 bytes), and one byte at a time.
        let pieces = data.prefix(16).map { Int($0 & 0x0f) + 1 }
        for headers in [whole, scan(data, pieces: pieces), scan(data, pieces: [1])] {
            precondition(headers.count == expected.count, "scanner found \(headers.count) headers, the framing has \(expected.count)")
            for (a, b) in zip(headers, expected) {
                precondition(a.id == b.id && a.flags1 == b.flags1 && a.flags2 == b.flags2, "scanner header differs from the framing's")
            }
        }
    }

    // MARK: - DNSQuestionFingerprint

    /// Whether `message` has a question the fingerprint can read: header, a question count
    /// that is not 0, labels of at most 63 bytes up to the root, then type and class.
    static func hasQuestion(_ message: [UInt8]) -> Bool {
        guard message.count >= 17, message[4] != 0 || message[5] != 0 else { return false }
        var end = 12
        while end < message.count {
            let length = Int(message[end])
            if length == 0 { return end + 5 <= message.count }
            if length >= 64 { return false }
            end += 1 + length
        }
        return false
    }

    static func fingerprint(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { DNSQuestionFingerprint.of($0) }
    }

    static func checkFingerprint(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        let value = DNSQuestionFingerprint.of(data)  // on libFuzzer's own buffer, sized exactly
        precondition((value != DNSQuestionFingerprint.unknown) == hasQuestion(bytes), "fingerprint unknown ≠ no question")
        let lowered = bytes.map { (0x41...0x5a).contains($0) ? $0 | 0x20 : $0 }
        precondition(fingerprint(lowered) == value, "fingerprint depends on ASCII case")
        guard value != DNSQuestionFingerprint.unknown else { return }
        var otherHeader = bytes
        otherHeader[0] ^= 0xff
        otherHeader[2] ^= 0x80
        otherHeader[3] ^= 0x0f
        precondition(fingerprint(otherHeader) == value, "fingerprint depends on the id or flags")
        precondition(fingerprint(bytes + [0xc0, 0x0c, 0, 1]) == value, "fingerprint depends on what follows the question")
    }

    // MARK: - UpstreamTraffic

    /// The fake upstream: a UDP socket and a TCP listener on one loopback port, made once.
    struct Upstream {
        let udp: Int32
        let listener: Int32
        let port: UInt16
        var address: sockaddr_in

        static func make() -> Upstream {
            for _ in 0..<100 {
                let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
                precondition(withSockaddr(&address, { bind(udp, $0, $1) }) == 0, "bind udp: \(errno)")
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                _ = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(udp, $0, &length) }
                }
                let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                if withSockaddr(&address, { bind(listener, $0, $1) }) == 0, listen(listener, 8) == 0 {
                    setNonBlocking(udp)
                    return Upstream(udp: udp, listener: listener, port: UInt16(bigEndian: address.sin_port), address: address)
                }
                _ = Glibc.close(udp)
                _ = Glibc.close(listener)
            }
            preconditionFailure("no loopback port free for both UDP and TCP")
        }
    }

    static let upstream = Upstream.make()

    static func withSockaddr<R>(_ address: inout sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Reads and discards whatever is waiting on `fd` (non-blocking).
    static func drain(_ fd: Int32) {
        var sink = [UInt8](repeating: 0, count: 65_536)
        while recv(fd, &sink, sink.count, Int32(MSG_DONTWAIT)) > 0 {}
    }

    /// What the counters must read: the reply matching of ``UpstreamTraffic`` done plainly.
    struct Model {
        /// Per id, the queries in flight, newest first.
        var inFlight: [UInt16: [UInt64]] = [:]
        var queries = 0, answers = 0, serverFailures = 0, refused = 0, truncated = 0, timeouts = 0, matched = 0

        mutating func sent(id: UInt16, question: UInt64) {
            queries += 1
            var list = inFlight[id, default: []]
            if let index = list.firstIndex(where: { DNSQuestionFingerprint.matches($0, question) }) {
                timeouts += 1
                list[index] = question
            } else {
                list.insert(question, at: 0)
            }
            inFlight[id] = list
        }

        mutating func received(_ header: Header, question: UInt64) {
            guard header.flags1 & 0x80 != 0 else { return }
            answers += 1
            if header.flags1 & 0x02 != 0 { truncated += 1 }
            if header.flags2 & 0x0f == 2 { serverFailures += 1 }
            if header.flags2 & 0x0f == 5 { refused += 1 }
            if var list = inFlight[header.id], let index = list.firstIndex(where: { DNSQuestionFingerprint.matches($0, question) }) {
                list.remove(at: index)
                inFlight[header.id] = list
                matched += 1
            }
        }
    }

    static func playScript(_ data: UnsafeRawBufferPointer) {
        let server = try! DNSServerAddress.ipv4("127.0.0.1", port: upstream.port)
        let board = UpstreamBoard(servers: [server], probeInterval: .seconds(1))
        let traffic = UpstreamTraffic(board: board, order: [0], receiveBufferBytes: 0, timeoutPerTry: 1_000_000_000)
        var model = Model()

        let udp = traffic.open(domain: AF_INET, type: Int32(SOCK_DGRAM.rawValue), protocol: 0)
        var address = upstream.address
        precondition(withSockaddr(&address, { traffic.connect(udp, $0, $1) }) == 0, "connect udp: \(errno)")
        var local = sockaddr_in()
        var localLength = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(udp, $0, &localLength) } }
        var tcp: Int32 = -1
        var accepted: Int32 = -1
        var sentStream: [UInt8] = []
        var sentHeaders = 0
        var replyStream: [UInt8] = []
        var replyHeaders = 0
        var buffer = [UInt8](repeating: 0, count: 65_536)

        func openTCP() {
            guard tcp < 0 else { return }
            tcp = traffic.open(domain: AF_INET, type: Int32(SOCK_STREAM.rawValue), protocol: 0)
            let result = withSockaddr(&address, { traffic.connect(tcp, $0, $1) })
            precondition(result == 0 || errno == EINPROGRESS, "connect tcp: \(errno)")
            accepted = accept(upstream.listener, nil, nil)
            precondition(accepted >= 0, "accept: \(errno)")
        }

        var offset = 0
        while offset + 2 <= data.count {
            let operation = data[offset] & 3
            let length = min(Int(data[offset + 1]), data.count - offset - 2)
            let payload = Array(data[(offset + 2)..<(offset + 2 + length)])
            offset += 2 + length
            switch operation {
            case 0:  // a UDP query, as c-ares sends it: one buffer
                guard !payload.isEmpty else { continue }
                let written = payload.withUnsafeBytes { bytes in
                    var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
                    return traffic.send(udp, &vector, 1)
                }
                precondition(written == payload.count, "udp send: \(written)")
                if payload.count >= 12 { model.sent(id: UInt16(payload[0]) << 8 | UInt16(payload[1]), question: fingerprint(payload)) }
                drain(upstream.udp)
            case 1:  // a UDP reply from the upstream
                let sent = payload.withUnsafeBytes { bytes in
                    var to = local
                    return withSockaddr(&to) { sendto(upstream.udp, bytes.baseAddress, bytes.count, 0, $0, $1) }
                }
                precondition(sent == payload.count, "udp reply: \(errno)")
                let received = traffic.receive(udp, &buffer, buffer.count, Int32(MSG_DONTWAIT), nil, nil)
                precondition(received == payload.count, "udp receive: \(received) of \(payload.count)")
                if payload.count >= 4 { model.received((UInt16(payload[0]) << 8 | UInt16(payload[1]), payload[2], payload[3]), question: fingerprint(payload)) }
            case 2:  // TCP query bytes, in two buffers as c-ares writes length and message
                guard !payload.isEmpty else { continue }
                openTCP()
                let cut = payload.count / 2
                let written = payload.withUnsafeBytes { bytes in
                    var vectors = [
                        iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: cut),
                        iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + cut), iov_len: bytes.count - cut),
                    ]
                    return traffic.send(tcp, &vectors, 2)
                }
                precondition(written == payload.count, "tcp send: \(written) of \(payload.count)")
                sentStream += payload
                let headers = referenceHeaders(sentStream)
                for header in headers[sentHeaders...] { model.sent(id: header.id, question: DNSQuestionFingerprint.unknown) }
                sentHeaders = headers.count
                drain(accepted)
            default:  // TCP reply bytes from the upstream
                guard !payload.isEmpty else { continue }
                openTCP()
                precondition(write(accepted, payload, payload.count) == payload.count, "tcp reply: \(errno)")
                var got = 0
                while got < payload.count {
                    let received = traffic.receive(tcp, &buffer, payload.count - got, 0, nil, nil)
                    if received < 0 && errno == EAGAIN {
                        var poller = pollfd(fd: tcp, events: Int16(POLLIN), revents: 0)
                        _ = poll(&poller, 1, 1000)
                        continue
                    }
                    precondition(received > 0, "tcp receive: \(received) errno \(errno)")
                    got += received
                }
                replyStream += payload
                let headers = referenceHeaders(replyStream)
                for header in headers[replyHeaders...] { model.received(header, question: DNSQuestionFingerprint.unknown) }
                replyHeaders = headers.count
            }
            check(board, model, when: "after a record")
        }
        // A sweep far past every try's timeout: whatever is still in flight timed out.
        traffic.sweep(now: MonotonicClock.now() &+ 1_000_000_000 << 22)
        model.timeouts += model.inFlight.values.reduce(0) { $0 + $1.count }
        check(board, model, when: "after the sweep")
        _ = traffic.close(udp)
        if tcp >= 0 {
            _ = traffic.close(tcp)
            _ = Glibc.close(accepted)
        }
    }

    static func check(_ board: UpstreamBoard, _ model: Model, when: String) {
        let counters = board.counters[0]
        let seen = [
            counters.queries.load(ordering: .relaxed), counters.answers.load(ordering: .relaxed),
            counters.serverFailures.load(ordering: .relaxed), counters.refused.load(ordering: .relaxed),
            counters.truncated.load(ordering: .relaxed), counters.timeouts.load(ordering: .relaxed),
            Int(counters.roundTrip.withLockedValue { $0.totalCount }),
        ]
        let expected = [model.queries, model.answers, model.serverFailures, model.refused, model.truncated, model.timeouts, model.matched]
        precondition(
            seen == expected,
            "\(when): counters (queries, answers, servfail, refused, tc, timeouts, matched) \(seen), the model's \(expected)")
    }
}
