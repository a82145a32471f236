import Glibc

/// A loopback UDP DNS server that answers every query with one kind of broken or hostile
/// reply: the "malformed answer" rows of docs/error-codes.md, and answer records that
/// belong to no name asked.
///
/// It does: echo the id, RD bit and question (so c-ares matches the reply to its query —
/// except ``Script/wrongID``) and build the reply ``Script`` names; for the `truncatedThen…`
/// scripts, listen on the same TCP port and misbehave there. It does not: answer any query
/// correctly over TCP, serve TCP for the other scripts (nothing listens on the TCP port, so a
/// client that falls back to TCP is refused), or vary its reply from one query to the next.
public final class ScriptedUpstream: Sendable {
    /// The reply sent to every query.
    public enum Script: Sendable, CaseIterable {
        /// NOERROR, ANCOUNT 1, and the answer record cut short after its owner name and
        /// type: the bytes a server that truncates without setting TC would send. c-ares'
        /// `ares_query` hands such a reply over as a success (it reads only the header and
        /// question); its own record parsers (getaddrinfo, PTR) reject it with ARES_EBADRESP.
        case truncatedAnswerRecord
        /// NOERROR and three answer records: the name asked is a CNAME for
        /// `chained.example.test`, which has A 192.0.2.2 — and a stray `evil.test A
        /// 192.0.2.66` that is on no chain from the name asked, as a forger or a broken
        /// upstream would add.
        case strayAnswerRecord
        /// Never answers a name whose first label starts with `silent`; any other A query
        /// gets NOERROR and `A 192.0.2.1` (TTL 300), other types NOERROR with no answer: an
        /// upstream on which one client's lookups can hang while everyone else's are answered.
        case silentForSomeNames
        /// SERVFAIL for a name whose first label starts with `servfail`; any other A query
        /// gets NOERROR and `A 192.0.2.1` (TTL 300), other types NOERROR with no answer: an
        /// upstream that works but fails the names a client chose (a broken zone, or an
        /// attacker's names), and knows names no other upstream has.
        case servfailForSomeNames
        /// A correct answer (`A 192.0.2.1`) under the wrong id (the query's id with every
        /// bit flipped): what a late reply to someone else's query, or a blind forgery, looks
        /// like. c-ares matches replies by id and drops it, so the query times out.
        case wrongID
        /// NOERROR, ANCOUNT 1, and an answer record whose owner name is a compression pointer
        /// to itself: a parser that follows pointers without a bound never ends.
        case compressionLoop
        /// An empty NOERROR reply with TC set over UDP, and a TCP listener that accepts the
        /// connection the client falls back to and never reads or answers it.
        case truncatedThenTCPHangs
        /// TC over UDP; over TCP every connection is accepted and closed at once (FIN).
        case truncatedThenTCPCloses
        /// TC over UDP; over TCP every connection is accepted and reset (SO_LINGER 0: RST).
        case truncatedThenTCPResets
        /// A signed zone as a DNSSEC-aware upstream answers it: an A query gets `A 192.0.2.1`
        /// (TTL 300) and, when it has DO, that record's RRSIG and an OPT with DO back; a name
        /// whose first label starts with `nx` gets NXDOMAIN with the zone's SOA and, with DO,
        /// an NSEC and its RRSIG in the authority section. What it saw of each query's DO and
        /// CD bits is in ``dnssecBitsSeen``.
        case signed

        /// What this script does with an accepted TCP connection; nil: nothing listens.
        var tcp: TCPBehaviour? {
            switch self {
            case .truncatedThenTCPHangs: .hang
            case .truncatedThenTCPCloses: .close
            case .truncatedThenTCPResets: .reset
            case .truncatedAnswerRecord, .strayAnswerRecord, .silentForSomeNames, .servfailForSomeNames, .wrongID, .compressionLoop, .signed: nil
            }
        }
    }

    enum TCPBehaviour: Sendable { case hang, close, reset }

    public let host: String = "127.0.0.1"
    public let port: UInt16
    public let script: Script
    public var serverAddress: String { "\(host):\(port)" }

    /// Queries received so far (UDP).
    public var queriesReceived: Int { counter.current }

    /// The names asked so far (UDP), in the order received, lower case: what a routing test
    /// reads to see which upstream was asked what.
    public var namesAsked: [String] { names.current }

    /// TCP connections accepted so far (the `truncatedThen…` scripts).
    public var connectionsAccepted: Int { accepted.current }

    /// Each UDP query's DNSSEC bits as received, in order: `"DO CD"`, `"DO"`, `"CD"` or `""`.
    public var dnssecBitsSeen: [String] { bits.current }

    /// Each UDP query's source port, in the order received: which socket of the client sent it.
    public var sourcePortsSeen: [UInt16] { ports.current }

    private let counter: Locked<Int>
    private let names: Locked<[String]>
    private let accepted: Locked<Int>
    private let bits: Locked<[String]>
    private let ports: Locked<[UInt16]>
    private let worker: WorkerThread

    private init(
        port: UInt16, script: Script, counter: Locked<Int>, names: Locked<[String]>, accepted: Locked<Int>, bits: Locked<[String]>,
        ports: Locked<[UInt16]>, worker: WorkerThread
    ) {
        self.port = port
        self.script = script
        self.counter = counter
        self.names = names
        self.accepted = accepted
        self.bits = bits
        self.ports = ports
        self.worker = worker
    }

    public static func start(script: Script) throws -> ScriptedUpstream {
        let udp: Int32
        let tcp: Int32?
        let port: UInt16
        if script.tcp != nil {
            let sockets = try Socket.udpAndTCP(listenBacklog: 128)
            (udp, tcp, port) = (sockets.udp, sockets.tcp, sockets.port)
        } else {
            udp = try Socket.make(SOCK_DGRAM, nonBlocking: true)
            tcp = nil
            let bindError = Socket.bind(udp, port: 0)
            guard bindError == 0 else {
                close(udp)
                throw FixtureError("bind UDP: \(String(cString: strerror(bindError)))")
            }
            do {
                port = try Socket.localPort(udp)
            } catch {
                close(udp)
                throw error
            }
        }
        let counter = Locked(0)
        let names = Locked<[String]>([])
        let accepted = Locked(0)
        let bits = Locked<[String]>([])
        let ports = Locked<[UInt16]>([])
        let worker: WorkerThread
        do {
            worker = try WorkerThread(name: "ScriptedUpstream") { wake in
                serve(udp: udp, tcp: tcp, wake: wake, script: script, counter: counter, names: names, accepted: accepted, bits: bits, ports: ports)
            }
        } catch {
            close(udp)
            if let tcp { close(tcp) }
            throw error
        }
        return ScriptedUpstream(port: port, script: script, counter: counter, names: names, accepted: accepted, bits: bits, ports: ports, worker: worker)
    }

    /// Stops the responder thread and closes its socket. Idempotent.
    public func stop() { worker.stop() }

    deinit { stop() }

    /// The reply `script` gives to `query`, or nil for a query too broken to answer.
    static func reply(to query: [UInt8], script: Script) -> [UInt8]? {
        switch script {
        case .truncatedAnswerRecord:
            guard let questionEnd = DNSWire.questionEnd(query), query[4] == 0, query[5] == 1,
                  var reply = DNSWire.emptyReply(to: query, rcode: 0)
            else { return nil }
            reply[7] = 1  // ANCOUNT 1 …
            // … but only the owner name (a pointer to the question's name at offset 12)
            // and the type are there: class, TTL, RDLENGTH and RDATA are missing.
            return reply + [0xc0, 0x0c] + query[(questionEnd - 4)..<(questionEnd - 2)]
        case .strayAnswerRecord:
            guard DNSWire.questionEnd(query) != nil, query[4] == 0, query[5] == 1,
                  var reply = DNSWire.emptyReply(to: query, rcode: 0)
            else { return nil }
            reply[7] = 3
            let chained = DNSWire.labels("chained.example.test")
            func record(owner: [UInt8], type: UInt8, data: [UInt8]) -> [UInt8] {
                owner + [0, type, 0, 1, 0, 0, 0x01, 0x2c, UInt8(data.count >> 8), UInt8(data.count & 0xff)] + data
            }
            return reply
                + record(owner: [0xc0, 0x0c], type: 5, data: chained)        // asked name CNAME chained.example.test
                + record(owner: chained, type: 1, data: [192, 0, 2, 2])       // chained.example.test A
                + record(owner: DNSWire.labels("evil.test"), type: 1, data: [192, 0, 2, 66])  // on no chain
        case .silentForSomeNames, .servfailForSomeNames:
            guard let questionEnd = DNSWire.questionEnd(query), query.count > 13,
                  var reply = DNSWire.emptyReply(to: query, rcode: 0)
            else { return nil }
            let firstLabel = query[13..<min(13 + Int(query[12]), query.count)]
            if script == .silentForSomeNames, firstLabel.starts(with: Array("silent".utf8)) { return nil }
            if script == .servfailForSomeNames, firstLabel.starts(with: Array("servfail".utf8)) {
                return DNSWire.emptyReply(to: query, rcode: 2)
            }
            guard query[questionEnd - 4] == 0, query[questionEnd - 3] == 1 else { return reply }  // not A: no answer
            reply[7] = 1
            return reply + [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1]
        case .wrongID:
            guard DNSWire.questionEnd(query) != nil, query[4] == 0, query[5] == 1,
                  var reply = DNSWire.emptyReply(to: query, rcode: 0)
            else { return nil }
            reply[0] = ~query[0]
            reply[1] = ~query[1]
            reply[7] = 1
            return reply + [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1]
        case .compressionLoop:
            guard let questionEnd = DNSWire.questionEnd(query), query[4] == 0, query[5] == 1, questionEnd < 0x3fff,
                  var reply = DNSWire.emptyReply(to: query, rcode: 0)
            else { return nil }
            reply[7] = 1
            // The owner name starts right after the question and points at itself.
            let pointer: [UInt8] = [0xc0 | UInt8(questionEnd >> 8), UInt8(questionEnd & 0xff)]
            return reply + pointer + [0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1]
        case .truncatedThenTCPHangs, .truncatedThenTCPCloses, .truncatedThenTCPResets:
            guard var reply = DNSWire.emptyReply(to: query, rcode: 0) else { return nil }
            reply[2] |= 0x02  // TC
            return reply
        case .signed:
            return signedReply(to: query)
        }
    }

    /// DO (the OPT's flags, when the query has one right after its question) and CD.
    static func dnssecBits(_ query: [UInt8]) -> (dnssecOK: Bool, checkingDisabled: Bool) {
        let checkingDisabled = query.count > 3 && query[3] & 0x10 != 0
        guard let end = DNSWire.questionEnd(query), query.count >= end + 11, query[11] >= 1, query[end] == 0, query[end + 2] == 41 else {
            return (false, checkingDisabled)
        }
        return (query[end + 7] & 0x80 != 0, checkingDisabled)
    }

    /// ``Script/signed``'s reply.
    private static func signedReply(to query: [UInt8]) -> [UInt8]? {
        guard let questionEnd = DNSWire.questionEnd(query), query.count > 13 else { return nil }
        let dnssecOK = dnssecBits(query).dnssecOK
        let zone = DNSWire.labels("example.test")
        func record(_ owner: [UInt8], _ type: UInt16, _ data: [UInt8]) -> [UInt8] {
            owner + [UInt8(type >> 8), UInt8(type & 0xff), 0, 1, 0, 0, 0x01, 0x2c, UInt8(data.count >> 8), UInt8(data.count & 0xff)] + data
        }
        // RRSIG (RFC 4034 §3.1) over `covered`: algorithm 8, 2 labels, TTL 300, a fixed
        // validity, key tag 4242, the zone as signer (uncompressed), 16 bytes of "signature".
        func rrsig(_ owner: [UInt8], covering covered: UInt16) -> [UInt8] {
            let data: [UInt8] = [UInt8(covered >> 8), UInt8(covered & 0xff), 8, 2, 0, 0, 0x01, 0x2c,
                                 0x6a, 0x00, 0x00, 0x00, 0x69, 0x00, 0x00, 0x00, 0x10, 0x92] + zone + Array(repeating: 0xab, count: 16)
            return record(owner, 46, data)
        }
        let firstLabel = query[13..<min(13 + Int(query[12]), query.count)]
        var sections: [UInt8] = []
        var counts = (answer: 0, authority: 0)
        let rcode: UInt8
        if firstLabel.starts(with: Array("nx".utf8)) {
            rcode = 3
            let soa = DNSWire.labels("ns.example.test") + DNSWire.labels("hostmaster.example.test") + [0, 0, 0, 1, 0, 0, 0x0e, 0x10, 0, 0, 0x02, 0x58, 0, 1, 0x51, 0x80, 0, 0, 0, 0x3c]
            sections += record(zone, 6, soa)
            counts.authority = 1
            if dnssecOK {
                // NSEC (RFC 4034 §4): the next name, uncompressed, and a type bitmap (A, NS, SOA, RRSIG, NSEC).
                let nsec = DNSWire.labels("www.example.test") + [0, 6, 0x62, 0x00, 0x00, 0x00, 0x00, 0x03]
                sections += record(zone, 47, nsec) + rrsig(zone, covering: 47) + rrsig(zone, covering: 6)
                counts.authority += 3
            }
        } else {
            rcode = 0
            guard query[questionEnd - 4] == 0, query[questionEnd - 3] == 1 else { return DNSWire.emptyReply(to: query, rcode: 0) }
            sections += record([0xc0, 0x0c], 1, [192, 0, 2, 1])
            counts.answer = 1
            if dnssecOK {
                sections += rrsig([0xc0, 0x0c], covering: 1)
                counts.answer += 1
            }
        }
        guard var reply = DNSWire.emptyReply(to: query, rcode: rcode) else { return nil }
        reply[7] = UInt8(counts.answer)
        reply[9] = UInt8(counts.authority)
        reply += sections
        if dnssecOK {
            reply[11] = 1
            reply += [0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]  // OPT: 1,232 bytes, DO
        }
        return reply
    }

    private static func serve(
        udp: Int32, tcp: Int32?, wake: Int32, script: Script, counter: Locked<Int>, names: Locked<[String]>, accepted: Locked<Int>,
        bits: Locked<[String]>, ports: Locked<[UInt16]>
    ) {
        /// Connections kept open and never read (``TCPBehaviour/hang``), closed on stop.
        var hanging: [Int32] = []
        defer {
            hanging.forEach { close($0) }
            close(udp)
            if let tcp { close(tcp) }
        }
        while true {
            var fds = ([wake, udp] + (tcp.map { [$0] } ?? [])).map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[0].revents != 0 { return }
            while let (query, from) = Socket.receive(udp) {
                counter.withLock { $0 += 1 }
                ports.withLock { $0.append(UInt16(bigEndian: from.sin_port)) }
                if let name = DNSWire.questionName(query) { names.withLock { $0.append(name) } }
                let seen = dnssecBits(query)
                bits.withLock { $0.append([seen.dnssecOK ? "DO" : nil, seen.checkingDisabled ? "CD" : nil].compactMap { $0 }.joined(separator: " ")) }
                if let reply = reply(to: query, script: script) {
                    Socket.send(udp, reply, to: from)
                }
            }
            guard let tcp, let behaviour = script.tcp, fds[2].revents != 0 else { continue }
            while true {
                let fd = accept(tcp, nil, nil)
                guard fd >= 0 else { break }
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                accepted.withLock { $0 += 1 }
                switch behaviour {
                case .hang:
                    hanging.append(fd)
                case .close:
                    close(fd)
                case .reset:
                    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                    _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                    close(fd)
                }
            }
        }
    }
}
