import CAres

#if canImport(Glibc)
import Glibc
#endif

/// The sockets of one c-ares channel, seen through `ares_set_socket_functions`: which
/// upstream each one talks to, and for each DNS message sent or received its id and
/// header — so that the ``UpstreamBoard`` learns what c-ares 1.18 does not say: which
/// server answered, how fast, with which rcode, and which one let a try time out.
///
/// A try timed out when c-ares sends the same query (id and question) again (to the next
/// server, or to the same one) without a reply in between, or when its per-try timeout
/// (c-ares doubles it each round through the servers) has passed without one:
/// ``sweep(now:)``. Two different queries can be in flight with the same id (c-ares 1.18
/// does not keep ids unique; ``DNSQuestionFingerprint``): a reply is matched by id and
/// question, as c-ares matches it. Over TCP the question is not read (``DNSStreamScanner``
/// sees headers only), so a TCP reply matches its id's queries to that upstream whatever
/// their question.
///
/// Because c-ares leaves a socket alone when the application creates it, ``open`` does
/// what c-ares would: non-blocking, close-on-exec, the receive buffer asked for, TCP_NODELAY.
///
/// Loop thread only: c-ares calls these functions from inside `ares_*` calls, and the
/// ``ChannelLoop`` that owns the channel calls ``sweep(now:)``.
final class UpstreamTraffic {
    private struct Connection {
        /// The configured index of the upstream it is connected to; -1 before connect().
        var upstream: Int
        var isTCP: Bool
        var sent = DNSStreamScanner()
        var received = DNSStreamScanner()
        /// Read by a ``DatagramReaders`` thread, not by `recvfrom` here (UDP only).
        var readElsewhere: ReadSocket?
    }

    private struct Sent {
        var id: UInt16
        /// 1 + the slot of another query in flight with the same id (0: none).
        var nextWithSameID: UInt16 = 0
        var upstream: Int
        var at: UInt64
        /// Sends of this query so far: c-ares' try count plus one.
        var sends: Int
        /// ``DNSQuestionFingerprint`` of its question.
        var question: UInt64
    }

    let board: UpstreamBoard
    /// The channel's servers: address and port → configured index.
    private let upstreams: [(address: IPAddress, port: UInt16, index: Int)]
    private let receiveBufferBytes: Int32
    private let timeoutPerTryNanoseconds: UInt64
    // Loop thread only, and on the path of every datagram: no run-time exclusivity checks.
    /// Indexed by descriptor (small integers): no hashing on the path of every datagram.
    @exclusivity(unchecked) private var connections: [Connection?] = []
    /// Query id → 1 + the index in `sent` of the last query sent with it (0: none), the
    /// others with that id linked from it; allocated at the first send.
    @exclusivity(unchecked) private var slotByID: [UInt16] = []
    @exclusivity(unchecked) private var sent: [Sent] = []
    @exclusivity(unchecked) private var freeSlots: [Int] = []
    /// No entry of `sent` expires before this.
    @exclusivity(unchecked) private(set) var nextExpiry = UInt64.max
    /// When this channel opened its first socket (``MonotonicClock``), nil before: how old
    /// its source ports are (``ChannelLoop`` replaces a channel whose sockets have lived
    /// ``ResolverConfiguration/upstreamSocketLifetime``).
    private(set) var firstSocketOpenedAt: UInt64?
    /// Who reads the channel's UDP sockets, when not the loop thread.
    private let home: DatagramHome?
    /// The channel these are the sockets of (set by ``install(on:)``).
    private(set) var channel: ares_channel?
    /// What a reader handed over for socket `queuedFD`, which c-ares is reading now
    /// (``ChannelLoop/feed(_:queued:)``): `receive` returns it in order from `queuedNext`.
    @exclusivity(unchecked) var queued: [QueuedArrival] = []
    @exclusivity(unchecked) var queuedNext = 0
    @exclusivity(unchecked) var queuedFD: Int32 = -1

    init(board: UpstreamBoard, order: [Int], receiveBufferBytes: Int, timeoutPerTry: UInt64, home: DatagramHome? = nil) {
        self.board = board
        self.home = home
        self.upstreams = order.compactMap { index in
            IPAddress(parsing: board.servers[index].host).map { ($0, board.servers[index].port, index) }
        }
        self.receiveBufferBytes = Int32(clamping: receiveBufferBytes)
        self.timeoutPerTryNanoseconds = timeoutPerTry
    }

    private func connection(_ fd: Int32) -> Connection? {
        fd >= 0 && Int(fd) < connections.count ? connections[Int(fd)] : nil
    }

    // MARK: - The socket functions
    // c-ares calls them through the table below; internal, not private, so that the fuzz
    // target over the reply tracking (Fuzz/Sources/FuzzUpstreamTraffic) calls them directly.

    func open(domain: Int32, type: Int32, protocol: Int32) -> Int32 {
        let fd = socket(domain, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), `protocol`)
        guard fd >= 0 else { return fd }
        if firstSocketOpenedAt == nil { firstSocketOpenedAt = MonotonicClock.now() }
        let isTCP = type == Int32(SOCK_STREAM.rawValue)
        if isTCP {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        } else if receiveBufferBytes > 0 {
            var bytes = receiveBufferBytes
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, socklen_t(MemoryLayout<Int32>.size))
        }
        if Int(fd) >= connections.count { connections += [Connection?](repeating: nil, count: Int(fd) + 1 - connections.count) }
        connections[Int(fd)] = Connection(upstream: -1, isTCP: isTCP)
        return fd
    }

    func close(_ fd: Int32) -> Int32 {
        if fd >= 0 && Int(fd) < connections.count {
            if let socket = connections[Int(fd)]?.readElsewhere { home?.release(socket) }
            connections[Int(fd)] = nil
        }
        return Glibc.close(fd)
    }

    func connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
        if connection(fd) != nil, let (ip, port) = Self.endpoint(address),
           let upstream = upstreams.first(where: { $0.address == ip && $0.port == port }) {
            connections[Int(fd)]!.upstream = upstream.index
        }
        let result = Glibc.connect(fd, address, length)
        // A connected UDP socket goes to its reader (c-ares connects it right after
        // opening it, and only then asks for its readiness).
        if result == 0, let home, let connection = connection(fd), !connection.isTCP {
            connections[Int(fd)]!.readElsewhere = home.adopt(fd, peer: address, length: length, traffic: self)
        }
        return result
    }

    func send(_ fd: Int32, _ vectors: UnsafePointer<iovec>, _ count: Int32) -> Int {
        let written = writev(fd, vectors, count)
        guard written > 0, let connection = connection(fd), connection.upstream >= 0 else { return written }
        let saved = errno
        defer { errno = saved }
        let now = MonotonicClock.now()
        let buffers = UnsafeBufferPointer(start: vectors, count: Int(count))
        if connection.isTCP {
            var scanner = connection.sent
            var ids: [UInt16] = []
            var left = written
            for vector in buffers where left > 0 {
                let piece = UnsafeRawBufferPointer(start: vector.iov_base, count: min(left, vector.iov_len))
                left -= piece.count
                scanner.consume(piece) { id, _, _ in ids.append(id) }
            }
            connections[Int(fd)]!.sent = scanner
            for id in ids { noteSent(id: id, question: DNSQuestionFingerprint.unknown, upstream: connection.upstream, now: now) }
        } else if let first = buffers.first, first.iov_len >= 12, let base = first.iov_base {
            // c-ares 1.18 sends a UDP query as one buffer.
            let datagram = UnsafeRawBufferPointer(start: base, count: first.iov_len)
            let id = UInt16(datagram[0]) << 8 | UInt16(datagram[1])
            let question = buffers.count == 1 ? DNSQuestionFingerprint.of(datagram) : DNSQuestionFingerprint.unknown
            noteSent(id: id, question: question, upstream: connection.upstream, now: now)
        }
        return written
    }

    func receive(
        _ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ length: Int, _ flags: Int32,
        _ from: UnsafeMutablePointer<sockaddr>?, _ fromLength: UnsafeMutablePointer<socklen_t>?
    ) -> Int {
        let received = home == nil ? recvfrom(fd, buffer, length, flags, from, fromLength)
            : receiveArrival(fd, buffer, length, from, fromLength)
        if received < 0 {
            // c-ares reads until EAGAIN: that read costs nothing more.
            let saved = errno
            guard saved != EAGAIN && saved != EWOULDBLOCK && saved != EINTR else { return received }
            if let connection = connection(fd), connection.upstream >= 0 { board.socketError(connection.upstream, now: MonotonicClock.now()) }
            errno = saved
            return received
        }
        guard let connection = connection(fd), connection.upstream >= 0 else { return received }
        let saved = errno
        defer { errno = saved }
        let now = MonotonicClock.now()
        let bytes = UnsafeRawBufferPointer(start: buffer, count: received)
        if connection.isTCP {
            var scanner = connection.received
            scanner.consume(bytes) { id, flags1, flags2 in
                noteReply(
                    id: id, question: DNSQuestionFingerprint.unknown, flags1: flags1, flags2: flags2, message: nil,
                    upstream: connection.upstream, now: now)
            }
            connections[Int(fd)]?.received = scanner
        } else if received >= 4 {
            noteReply(
                id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), question: DNSQuestionFingerprint.of(bytes),
                flags1: bytes[2], flags2: bytes[3], message: bytes, upstream: connection.upstream, now: now)
        }
        return received
    }

    /// `recvfrom` for a socket a reader reads: the arrivals handed over for it, each once
    /// (then EAGAIN, which ends c-ares' reading), their source the upstream it is connected to.
    private func receiveArrival(
        _ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ length: Int,
        _ from: UnsafeMutablePointer<sockaddr>?, _ fromLength: UnsafeMutablePointer<socklen_t>?
    ) -> Int {
        guard let socket = connection(fd)?.readElsewhere else { return recvfrom(fd, buffer, length, 0, from, fromLength) }
        if queuedFD == fd && queuedNext < queued.count {
            queuedNext += 1
            var received = 0
            queued[queuedNext - 1].withArrival { received = Self.receive($0, from: socket, buffer, length, from, fromLength) }
            return received
        }
        errno = EAGAIN
        return -1
    }

    private static func receive(
        _ arrival: DatagramArrival, from socket: ReadSocket, _ buffer: UnsafeMutableRawPointer, _ length: Int,
        _ from: UnsafeMutablePointer<sockaddr>?, _ fromLength: UnsafeMutablePointer<socklen_t>?
    ) -> Int {
        switch arrival {
        case .error(let code):
            errno = code
            return -1
        case .datagram(let bytes):
            // Truncated as recvfrom would truncate it (c-ares reads into 4,097 bytes).
            let count = min(length, bytes.count)
            if count > 0 { buffer.copyMemory(from: bytes.baseAddress!, byteCount: count) }
            socket.writeSource(into: from, length: fromLength)
            return count
        }
    }

    // MARK: - Bookkeeping

    private func noteSent(id: UInt16, question: UInt64, upstream: Int, now: UInt64) {
        if slotByID.isEmpty { slotByID = [UInt16](repeating: 0, count: 65_536) }
        var sends = 1
        let head = Int(slotByID[Int(id)])
        if let existing = find(id: id, head: head, where: { DNSQuestionFingerprint.matches($0.question, question) }) {
            let previous = sent[existing]
            board.timedOut(previous.upstream, now: now)  // asked again before any reply: that try timed out
            sends = previous.sends + 1
            sent[existing] = Sent(
                id: id, nextWithSameID: previous.nextWithSameID, upstream: upstream, at: now, sends: sends, question: question)
        } else {
            // A new query; another with its id may be in flight (linked behind it).
            let entry = Sent(id: id, nextWithSameID: UInt16(head), upstream: upstream, at: now, sends: sends, question: question)
            if let slot = freeSlots.popLast() {
                sent[slot] = entry
                slotByID[Int(id)] = UInt16(slot + 1)
            } else if sent.count < 65_535 {
                sent.append(entry)
                slotByID[Int(id)] = UInt16(sent.count)
            }
        }
        nextExpiry = min(nextExpiry, now &+ tryTimeout(sends: sends))
        board.sent(to: upstream)
    }

    /// `message`: the whole reply over UDP (its shape is checked once it is matched), nil over TCP.
    private func noteReply(
        id: UInt16, question: UInt64, flags1: UInt8, flags2: UInt8, message: UnsafeRawBufferPointer?, upstream: Int, now: UInt64
    ) {
        guard flags1 & 0x80 != 0 else { return }  // not a response
        var roundTrip: UInt64?
        var malformed = false
        let head = slotByID.isEmpty ? 0 : Int(slotByID[Int(id)])
        if let slot = find(id: id, head: head, where: { $0.upstream == upstream && DNSQuestionFingerprint.matches($0.question, question) }) {
            roundTrip = now &- sent[slot].at
            release(slot: slot)
            if let message { malformed = !DNSMessageShape.isWellFormed(message) }
        }
        board.answered(
            by: upstream, rcode: flags2 & 0x0f, truncated: flags1 & 0x02 != 0, malformed: malformed, roundTripNanoseconds: roundTrip,
            now: now)
    }

    /// The slot of the first query in flight with `id` (starting at `head`, 1 + a slot)
    /// that `matches`, or nil.
    @inline(__always)
    private func find(id: UInt16, head: Int, where matches: (Sent) -> Bool) -> Int? {
        var next = head
        while next != 0 {
            if matches(sent[next - 1]) { return next - 1 }
            next = Int(sent[next - 1].nextWithSameID)
        }
        return nil
    }

    private func release(slot: Int) {
        let id = Int(sent[slot].id)
        let after = sent[slot].nextWithSameID
        if Int(slotByID[id]) == slot + 1 {
            slotByID[id] = after
        } else {
            // Another query with this id was sent after it: unlink it from behind that one.
            var previous = Int(slotByID[id])
            while previous != 0 && Int(sent[previous - 1].nextWithSameID) != slot + 1 {
                previous = Int(sent[previous - 1].nextWithSameID)
            }
            if previous != 0 { sent[previous - 1].nextWithSameID = after }
        }
        sent[slot].nextWithSameID = 0
        sent[slot].sends = 0  // free: the sweep skips it
        freeSlots.append(slot)
    }

    /// c-ares' timeout for a try: the per-try timeout, doubled for each full round
    /// through the servers before it.
    private func tryTimeout(sends: Int) -> UInt64 {
        let rounds = min((sends - 1) / max(1, upstreams.count), 20)
        return timeoutPerTryNanoseconds << UInt64(rounds)
    }

    /// Counts as timed out every try whose timeout has passed without a reply.
    func sweep(now: UInt64) {
        guard now >= nextExpiry else { return }
        var next = UInt64.max
        for slot in sent.indices where sent[slot].sends > 0 {
            let expiry = sent[slot].at &+ tryTimeout(sends: sent[slot].sends)
            if expiry <= now {
                board.timedOut(sent[slot].upstream, now: now)
                release(slot: slot)
            } else {
                next = min(next, expiry)
            }
        }
        nextExpiry = next
    }

    private static func endpoint(_ address: UnsafePointer<sockaddr>) -> (IPAddress, UInt16)? {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                (IPAddress(in4: v4.pointee.sin_addr), UInt16(bigEndian: v4.pointee.sin_port))
            }
        case AF_INET6:
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                (IPAddress(in6: v6.pointee.sin6_addr), UInt16(bigEndian: v6.pointee.sin6_port))
            }
        default:
            nil
        }
    }
}

// MARK: - Installing the functions on a channel

extension UpstreamTraffic {
    /// The C function table; c-ares 1.18 keeps the pointer, so it lives as long as the
    /// process. Written once, here, and only read afterwards (by c-ares).
    nonisolated(unsafe) private static let functions: UnsafeMutablePointer<ares_socket_functions> = {
        let table = UnsafeMutablePointer<ares_socket_functions>.allocate(capacity: 1)
        table.initialize(to: ares_socket_functions(
            asocket: { domain, type, proto, data in
                Unmanaged<UpstreamTraffic>.fromOpaque(data!).takeUnretainedValue().open(domain: domain, type: type, protocol: proto)
            },
            aclose: { fd, data in
                Unmanaged<UpstreamTraffic>.fromOpaque(data!).takeUnretainedValue().close(fd)
            },
            aconnect: { fd, address, length, data in
                Unmanaged<UpstreamTraffic>.fromOpaque(data!).takeUnretainedValue().connect(fd, address!, length)
            },
            arecvfrom: { fd, buffer, length, flags, from, fromLength, data in
                Unmanaged<UpstreamTraffic>.fromOpaque(data!).takeUnretainedValue().receive(fd, buffer!, length, flags, from, fromLength)
            },
            asendv: { fd, vectors, count, data in
                Unmanaged<UpstreamTraffic>.fromOpaque(data!).takeUnretainedValue().send(fd, vectors!, count)
            }))
        return table
    }()

    /// Routes `channel`'s socket calls through `self`, which must outlive the channel.
    func install(on channel: ares_channel) {
        self.channel = channel
        ares_set_socket_functions(channel, Self.functions, Unmanaged.passUnretained(self).toOpaque())
    }
}
