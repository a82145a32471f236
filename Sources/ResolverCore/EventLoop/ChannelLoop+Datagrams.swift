import CAres

#if canImport(Glibc)
import Glibc
#endif

/// One UDP socket of a channel that a ``DatagramReaders`` thread reads. c-ares keeps the
/// socket's own descriptor (it sends on it and closes it); the reader reads a duplicate.
///
/// Holder of the channel only, except `fd`: a reader hands it back with each arrival,
/// and the ``ChannelLoop`` looks at it once it holds the channel.
final class ReadSocket: @unchecked Sendable {
    let fd: Int32
    /// The channel's traffic while c-ares keeps the socket open; nil once c-ares closed it
    /// (an arrival after that is dropped, and the channel may be gone).
    var traffic: UpstreamTraffic?
    var reading: (any DatagramReading)?
    /// The upstream the socket is connected to: the source c-ares is told each datagram
    /// came from (the kernel delivers nothing else on a connected socket).
    private var peer = sockaddr_storage()
    private let peerLength: socklen_t

    init(fd: Int32, traffic: UpstreamTraffic, peer: UnsafePointer<sockaddr>, length: socklen_t) {
        self.fd = fd
        self.traffic = traffic
        let length = min(Int(length), MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutableBytes(of: &self.peer) { $0.copyMemory(from: UnsafeRawBufferPointer(start: peer, count: length)) }
        self.peerLength = socklen_t(length)
    }

    /// Writes the upstream's address as `recvfrom` would write a datagram's source.
    func writeSource(into from: UnsafeMutablePointer<sockaddr>?, length: UnsafeMutablePointer<socklen_t>?) {
        guard let from, let length else { return }
        let count = min(Int(length.pointee), Int(peerLength))
        withUnsafeBytes(of: &peer) { UnsafeMutableRawPointer(from).copyMemory(from: $0.baseAddress!, byteCount: count) }
        length.pointee = peerLength
    }
}

/// Where one ``ChannelLoop``'s UDP sockets are read: reader `index` of `readers`. It hands a
/// socket c-ares has connected to the reader, and takes it back when c-ares closes it.
/// Holder of the channel only (c-ares calls it from inside `ares_*` calls).
final class DatagramHome {
    let readers: any DatagramReaders
    let index: Int
    private let watcher: SocketWatcher
    /// Set by the loop at the end of its init, before any socket opens; the loop owns its
    /// channels, their traffic and this home, so it outlives every call here.
    unowned(unsafe) var loop: ChannelLoop?

    init(readers: any DatagramReaders, index: Int, watcher: SocketWatcher) {
        self.readers = readers
        self.index = index
        self.watcher = watcher
    }

    /// Whether the calling thread is this home's reader.
    var isCurrentThread: Bool { readers.isCurrentThread(index) }

    /// Hands `fd`'s reading to the reader; nil (the loop thread keeps reading it) if the
    /// descriptor cannot be duplicated.
    func adopt(_ fd: Int32, peer: UnsafePointer<sockaddr>, length: socklen_t, traffic: UpstreamTraffic) -> ReadSocket? {
        guard let loop else { return nil }
        let copy = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0 else { return nil }
        let socket = ReadSocket(fd: fd, traffic: traffic, peer: peer, length: length)
        watcher.readElsewhere(fd)
        socket.reading = readers.read(copy, on: index) { arrival in loop.datagramArrived(socket, arrival) }
        return socket
    }

    /// c-ares closes `socket`: its reading stops, and what still arrives is dropped.
    func release(_ socket: ReadSocket) {
        socket.traffic = nil
        socket.reading?.stop()
        socket.reading = nil
        watcher.readHere(socket.fd)
    }
}

/// A reader's arrival with its bytes owned: queued for whoever holds the channel, or copied
/// to be handed to c-ares at once (``ChannelLoop/feed(_:queued:)``).
enum QueuedArrival {
    case datagram([UInt8])
    case error(Int32)

    init(_ arrival: DatagramArrival) {
        switch arrival {
        case .datagram(let bytes): self = .datagram(Array(bytes))
        case .error(let code): self = .error(code)
        }
    }

    func withArrival(_ body: (DatagramArrival) -> Void) {
        switch self {
        case .datagram(let bytes): bytes.withUnsafeBytes { body(.datagram($0)) }
        case .error(let code): body(.error(code))
        }
    }
}

extension ChannelLoop {
    /// A reader's thread hands over what arrived on `socket`. As ``submit(_:)`` does with a
    /// lookup: queued for an awake loop (or a reader that holds the channel), which hands it
    /// to c-ares before it sleeps or lets go; else handed to c-ares at once on this thread if
    /// the channel is free (``readAtOnce(_:_:)``); else queued with a wake-up.
    ///
    /// Under load the loop thread is awake and gets the replies in its inbox, and hands
    /// each socket's to c-ares in one call (``run(_:)``): the replies of a busy channel are
    /// processed in batches, on one thread, as when it read its sockets itself.
    ///
    /// An arrival that finds `arrivalLimit` of them queued is dropped (and counted), as the
    /// kernel drops a datagram that finds a socket's receive buffer full: an upstream that
    /// floods its socket while the loop is busy costs bounded memory, and c-ares retries a
    /// query whose reply was dropped as it would one lost on the way.
    func datagramArrived(_ socket: ReadSocket, _ arrival: DatagramArrival) {
        if queue(socket, arrival, wakingTheLoop: false) || readAtOnce(socket, arrival) { return }
        _ = queue(socket, arrival, wakingTheLoop: true)
    }

    /// Queues `arrival` if the loop is awake (as ``queueIfAwake(_:)``), or with `wakingTheLoop`
    /// also if it sleeps (as ``enqueue(_:)``), or drops it if the inbox is full; false, with
    /// nothing done, if the loop sleeps and `wakingTheLoop` is false.
    private func queue(_ socket: ReadSocket, _ arrival: DatagramArrival, wakingTheLoop: Bool) -> Bool {
        // Nil: dropped. A full inbox is never a sleeping loop's (it holds jobs, so whoever
        // queued the first has woken the loop), so the limit is checked first.
        let appended = inbox.withLockedValue { inbox -> Inbox.Appended? in
            guard inbox.arrivals < arrivalLimit else { return nil }
            let appended = inbox.append(.arrival(socket, QueuedArrival(arrival)), onlyIfAwake: !wakingTheLoop)
            if case .appended = appended { inbox.arrivals += 1 }
            return appended
        }
        switch appended {
        case nil: arrivalsDropped.add(1, ordering: .relaxed)
        case .loopAsleep?: return false
        case .appended(let wake)?: if wake { watcher.wake() }
        }
        return true
    }

    /// Hands `arrival` to c-ares on the calling thread, which then holds the channel as the
    /// loop thread would: it first runs anything queued (in order), c-ares' callbacks run
    /// here (a lookup's answer reaches its client's event loop without a hand-over), lookups
    /// they start are queued and started here before the channel is let go, and the loop's
    /// timer is brought forward if what was started needs it sooner. Stopping and replacing
    /// the channel stay the loop thread's. False, with nothing done, if the channel is taken.
    private func readAtOnce(_ socket: ReadSocket, _ arrival: DatagramArrival) -> Bool {
        guard ownership.tryLock() else { return false }
        defer { ownership.unlock() }
        guard !stopped else { return false }
        let queued = inbox.withLockedValue { inbox in
            inbox.readerHolds = true
            return inbox.takeJobs()
        }
        readerThreadID.store(pthread_self(), ordering: .relaxed)
        repliesReadAtOnce.add(1, ordering: .relaxed)
        var stopAsked = !run(queued)
        // One datagram, copied: one path into c-ares for replies read here and queued ones.
        feed(socket, queued: [QueuedArrival(arrival)])
        while true {
            startWaiting()
            let jobs = inbox.withLockedValue { inbox in
                // Nothing left: from here on a submitter finds the loop asleep again.
                if inbox.jobs.isEmpty { inbox.readerHolds = false }
                return inbox.takeJobs()
            }
            if jobs.isEmpty { break }
            stopAsked = !run(jobs) || stopAsked
        }
        readerThreadID.store(0, ordering: .relaxed)
        bringTimerForward()
        // Stopping is the loop thread's (it destroys the channel and exits).
        if stopAsked { enqueue(.stop) }
        return true
    }

    /// Lets c-ares read `queued` from `socket` (through ``UpstreamTraffic``'s `recvfrom`), in
    /// order, in as few calls as it takes: it
    /// reads until EAGAIN, except after an error, which ends its reading (and may close the
    /// socket: then the rest is dropped, as the kernel drops what a closed socket held).
    /// Holder of the channel only.
    func feed(_ socket: ReadSocket, queued: [QueuedArrival]) {
        // Closed by c-ares since it arrived: its channel may be destroyed.
        guard let traffic = socket.traffic, let channel = traffic.channel else { return }
        traffic.queued = queued
        traffic.queuedNext = 0
        traffic.queuedFD = socket.fd
        while socket.traffic != nil && traffic.queuedNext < queued.count {
            let before = traffic.queuedNext
            ares_process_fd(channel, socket.fd, ARES_SOCKET_BAD)
            if traffic.queuedNext == before { break }  // not read: no longer c-ares' socket
        }
        traffic.queued = []
        traffic.queuedFD = -1
        noteAresActivity()
    }
}
