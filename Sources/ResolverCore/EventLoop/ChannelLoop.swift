import CAres
import DequeModule
import HeapModule
import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One c-ares channel and the thread that owns it.
///
/// Every `ares_*` call on the channel happens under its ownership (a ``PthreadMutex``) (c-ares 1.18
/// channels are not thread-safe): on this thread, which holds it whenever it is awake, or
/// on a thread that submits a lookup while the loop sleeps and finds the channel free —
/// that thread starts the lookup itself (its queries leave at once, and the loop thread
/// is not woken for it). The thread sleeps in `epoll_wait` on the channel's sockets
/// (c-ares reports them through ARES_OPT_SOCK_STATE_CB), on an eventfd that other threads
/// write when they queue a lookup, and on a timerfd that a thread which started one armed
/// if it needs the loop sooner than planned; it wakes for readiness, for c-ares' next
/// retry, or for the earliest per-lookup deadline — never on a fixed tick, so an idle
/// loop uses no CPU.
///
/// With ``DatagramReaders`` (the daemon's event loops), the channel's UDP sockets are read
/// by a reader's thread instead, which hands each reply to c-ares the same way: queued for an
/// awake loop, else itself if the channel is free (ChannelLoop+Datagrams.swift), else queued
/// with a wake-up. A lookup started and answered on an event loop then never wakes this thread.
///
/// The channel's upstream sockets stay open between queries and the channel is replaced
/// by a fresh one (new sockets, new source ports) once they have served
/// ``ResolverConfiguration/upstreamSocketLifetime``; a replaced channel, like one of an
/// older upstream order, finishes its queries and is then destroyed.
///
/// The loop caps the DNS queries it keeps in flight (an AF_UNSPEC getaddrinfo is two),
/// so that a burst of replies fits the socket's receive buffer; the rest wait in a queue,
/// where a cancelled lookup is simply skipped. It knows nothing about what a lookup
/// asks: a ``LookupRecord`` starts its own work through ``withChannel(queries:_:)``.
final class ChannelLoop: @unchecked Sendable {
    // Safe to share: `inbox` is behind its lock, `watcher.wake()` is a write to an eventfd,
    // and the other lets never change after init. Every `var` below is touched only by the
    // holder of `ownership` (see ``startAtOnce(_:)``).
    // Internal, not private, for the reader's side in ChannelLoop+Datagrams.swift.
    enum Job {
        case start(LookupRecord)
        /// What a ``DatagramReaders`` thread read, for c-ares.
        case arrival(ReadSocket, QueuedArrival)
        case stop
    }

    struct Inbox {
        var jobs: [Job] = []
        /// The loop thread is in a turn and looks at the inbox before it sleeps: a job
        /// queued meanwhile needs no eventfd wake-up. True from the start: a new thread
        /// looks at the inbox before it first sleeps.
        var loopAwake = true
        /// A reader's thread holds the channel (``readAtOnce(_:_:)``) and looks at the
        /// inbox before it lets go: the same promise as `loopAwake`.
        var readerHolds = false

        /// How many of `jobs` are readers' arrivals: at most ``ChannelLoop/arrivalLimit``.
        var arrivals = 0

        var isAwake: Bool { loopAwake || readerHolds }

        /// What ``append(_:onlyIfAwake:)`` did.
        enum Appended {
            /// Queued; `wake`: the loop sleeps and nobody has woken it yet.
            case appended(wake: Bool)
            /// Not queued (`job` not even made): the loop sleeps and `onlyIfAwake` was set.
            case loopAsleep
        }

        /// Queues `job` — with `onlyIfAwake`, only if the loop is awake or already woken for
        /// an earlier job — and says whether the caller must wake the loop. The one rule for
        /// every submitter: not empty, whoever found it empty has woken the loop; awake (the
        /// loop's own thread among others, or a reader holding the channel), it looks at the
        /// inbox before it sleeps or lets go.
        mutating func append(_ job: @autoclosure () -> Job, onlyIfAwake: Bool) -> Appended {
            let awake = isAwake || !jobs.isEmpty
            guard awake || !onlyIfAwake else { return .loopAsleep }
            jobs.append(job())
            return .appended(wake: !awake)
        }

        /// The jobs queued, in order, leaving the inbox empty. An empty inbox costs no
        /// allocation; a full one keeps its capacity (a loop under load refills it to about
        /// the same size each turn, and regrowing it from empty cost a reallocation per
        /// doubling).
        mutating func takeJobs() -> [Job] {
            guard !jobs.isEmpty else { return [] }
            let taken = jobs
            jobs.removeAll(keepingCapacity: true)
            arrivals = 0
            return taken
        }
    }

    private struct Deadline: Comparable {
        var at: UInt64
        var record: LookupRecord
        static func < (lhs: Deadline, rhs: Deadline) -> Bool { lhs.at < rhs.at }
        static func == (lhs: Deadline, rhs: Deadline) -> Bool { lhs.at == rhs.at }
    }

    let index: Int
    let inbox = NIOLockedValueBox(Inbox())
    /// Who may call c-ares on the channel now: the loop thread whenever it is awake, or a
    /// thread that submits a lookup and finds it free (``startAtOnce(_:)``). Every `var`
    /// of the loop is touched only by its holder.
    let ownership = PthreadMutex()
    /// When the sleeping loop thread will wake by itself at the latest (``MonotonicClock``;
    /// `.max`: not before an event): a lookup started while it sleeps that needs it sooner
    /// arms the watcher's timer.
    private var sleepsUntil = UInt64.max
    /// The loop has stopped and destroyed its channel: nothing starts on it any more.
    private(set) var stopped = false
    /// Internal for the readers' side (ChannelLoop+Datagrams.swift), which wakes the loop.
    let watcher: SocketWatcher
    /// Who reads the channels' UDP sockets when not this loop's thread (nil: this thread).
    private let home: DatagramHome?
    private let configuration: ResolverConfiguration
    private let board: UpstreamBoard
    /// The channel new lookups start on, with the upstreams in the board's order of
    /// generation `orderGeneration`, and what its sockets carry.
    /// (No run-time exclusivity checks on these four: loop thread only, and read on the
    /// path of every socket event and lookup start, where `swift_beginAccess` showed in
    /// callgrind.)
    @exclusivity(unchecked) private var channel: ares_channel
    @exclusivity(unchecked) private var traffic: UpstreamTraffic
    @exclusivity(unchecked) private var orderGeneration: Int
    /// Channels with an older order, kept until their last query has finished
    /// (c-ares 1.18 cannot reorder the servers of a channel with queries in flight).
    @exclusivity(unchecked) private var draining: [(channel: ares_channel, traffic: UpstreamTraffic)] = []
    /// The most queries in flight at once (see ``ReceiveBufferCapacity``).
    private let queryLimit: Int
    /// The most readers' arrivals the inbox holds (``datagramArrived(_:_:)``): room for a
    /// reply to every query in flight and a late one to each retried query. The kernel's
    /// receive buffer bounded what an upstream could make the loop hold while the loop read
    /// its sockets itself; a reader copies datagrams out of it, so this bounds them again.
    let arrivalLimit: Int
    /// Arrivals dropped because the inbox held `arrivalLimit` (for tests).
    let arrivalsDropped = Atomic<Int>(0)
    private let timeoutPerTryNanoseconds: UInt64
    /// How long the channel's sockets serve before the channel is replaced (see ``socketsOutlived(now:)``).
    private let socketLifetimeNanoseconds: UInt64
    /// Written once by `startThread()`, before the resolver that owns this loop is shared;
    /// only read afterwards (join, CPU clock).
    private var thread: pthread_t?

    private var waiting = Deque<LookupRecord>()
    /// When `waiting` reaches this length, lookups cancelled while they waited are dropped
    /// from it (they are otherwise skipped only when reached, which never happens while
    /// every c-ares slot hangs on a silent upstream); then set to twice what is left, so
    /// amortised O(1). The floor bounds how many cancelled lookups (with the work closures
    /// they hold) can sit in the queue between sweeps.
    private static let purgeFloor = 1_024
    private var purgeWaitingAt = ChannelLoop.purgeFloor
    /// How many cancelled lookups the sweeps above have dropped (for tests and stats).
    let droppedWhileWaiting = Atomic<Int>(0)
    /// How often a submitted lookup was queued with an eventfd wake-up of the loop thread
    /// instead of started at once (for tests).
    let wakeUpsForStarts = Atomic<Int>(0)
    private var deadlines = Heap<Deadline>()
    /// DNS queries sent by running c-ares operations whose callbacks have not fired.
    private var inFlight = 0
    /// When c-ares next needs `ares_process_fd` for its own timeouts, as an upper bound
    /// (see `noteAresActivity`): asking `ares_timeout` is O(queries) in c-ares 1.18.
    private var aresWakeAt = UInt64.max
    /// The loop thread's pthread_t, stored by the thread itself when it starts (0 before):
    /// a thread that reads its own id here is the loop thread.
    private let loopThreadID = Atomic<UInt>(0)
    /// The reader's thread while it holds the channel (``readAtOnce(_:_:)``), else 0.
    let readerThreadID = Atomic<UInt>(0)
    /// Replies handed to c-ares on the reader's thread that read them (for tests and stats).
    let repliesReadAtOnce = Atomic<Int>(0)

    /// Queries of the operations started here and not yet finished by c-ares (for tests and stats).
    var queriesInFlight: Int { inFlight }

    /// The most queries one c-ares operation sends at once (getaddrinfo AF_UNSPEC: A and AAAA).
    static let maxQueriesPerOperation = 2

    init(
        index: Int, configuration: ResolverConfiguration, queryLimit: Int, board: UpstreamBoard, readers: (any DatagramReaders)? = nil
    ) throws(ResolverError) {
        self.index = index
        self.queryLimit = queryLimit
        self.arrivalLimit = 2 * queryLimit
        self.timeoutPerTryNanoseconds = UInt64(configuration.timeoutPerTryMilliseconds) * 1_000_000
        self.socketLifetimeNanoseconds = MonotonicClock.nanoseconds(configuration.upstreamSocketLifetime)
        let watcher = try SocketWatcher()
        self.watcher = watcher
        self.configuration = configuration
        self.board = board
        let home = readers.map { DatagramHome(readers: $0, index: index % $0.count, watcher: watcher) }
        self.home = home
        // The channel is created here and handed to the loop thread by pthread_create,
        // which orders these writes before anything the thread does. It opens no socket
        // before its first query, after `home.loop` is set.
        let order = board.order
        self.orderGeneration = order.generation
        (self.channel, self.traffic) = try Self.makeChannel(
            configuration: configuration, watcher: watcher, board: board, order: order.indexes, home: home)
        home?.loop = self
    }

    private static func makeChannel(
        configuration: ResolverConfiguration, watcher: SocketWatcher, board: UpstreamBoard, order: [Int], home: DatagramHome?
    ) throws(ResolverError) -> (ares_channel, UpstreamTraffic) {
        let traffic = UpstreamTraffic(
            board: board, order: order, receiveBufferBytes: configuration.socketReceiveBufferBytes,
            timeoutPerTry: UInt64(configuration.timeoutPerTryMilliseconds) * 1_000_000, home: home)
        let channel = try AresChannelFactory.makeChannel(configuration: configuration, watcher: watcher, order: order, traffic: traffic)
        return (channel, traffic)
    }

    /// Starts the loop thread. The thread keeps `self` alive until it stops.
    func startThread() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let loop = Unmanaged<ChannelLoop>.fromOpaque(argument!).takeRetainedValue()
            loop.run()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed: \(result)")
        self.thread = thread
    }

    /// Starts `record` on this loop: queued for the loop thread when it is awake (it runs
    /// the job before it next sleeps, no wake-up needed), else at once on the calling
    /// thread when the channel is free, else queued with a wake-up. Callable from any
    /// thread, the loop's own included (a completion starting the next lookup, as the
    /// daemon's per-uid share does): the loop is awake then.
    ///
    /// An awake loop is never asked for its channel: under load, submitters taking the
    /// ownership mutex only to find the channel busy made the loop thread wait for it
    /// (−6 % in-process cold lookups/s).
    func submit(_ record: LookupRecord) {
        if queueIfAwake(.start(record)) || startAtOnce(record) { return }
        enqueue(.start(record))
    }

    /// Starts `record` on the calling thread if the channel is free (the loop thread is
    /// asleep) and nothing is queued before it; false otherwise. One lookup at a time, this
    /// spares the loop thread's wake-up (an eventfd write and read and a thread scheduled)
    /// between the request and its queries leaving.
    ///
    /// c-ares may complete the lookup inside this call (a query that cannot be sent): its
    /// completion then runs on the calling thread, as it would on the loop thread, and may
    /// submit another lookup, which finds the channel taken and is queued with a wake-up.
    private func startAtOnce(_ record: LookupRecord) -> Bool {
        guard ownership.tryLock() else { return false }
        defer { ownership.unlock() }
        // Only on a quiet channel: under load the loop thread is the one to call c-ares, in
        // batches (an event loop doing it meanwhile kept the loop thread waiting for the
        // channel: −14 % cold lookups/s at 1,000 in flight). An op's two questions fit.
        guard !stopped, inFlight < Self.maxQueriesPerOperation, inbox.withLockedValue({ $0.jobs.isEmpty }) else { return false }
        // A channel due for replacement is the loop thread's to replace: `ares_init_options`
        // reads /etc/resolv.conf, which an event loop must not wait for.
        guard !channelIsDueForReplacement else { return false }
        accept(record)
        bringTimerForward()
        return true
    }

    /// The loop planned its wake-up without what the holder of the channel started: a
    /// retry or a deadline of it may come sooner. Holder of the channel, loop thread asleep.
    func bringTimerForward() {
        let needed = nextWakeAt()
        if needed < sleepsUntil {
            sleepsUntil = needed
            watcher.wakeNoLaterThan(needed)
        }
    }

    /// Stops the loop after the jobs already queued, destroys the channel, and waits for
    /// the thread. Pending lookups must have been finished first (the resolver aborts them).
    func stopAndJoin() {
        let fromLoopThread = isLoopThread
        enqueue(.stop)
        guard let thread else { return }
        if fromLoopThread {
            // Stopped from one of its own completions (the last reference to the resolver
            // dropped there): the loop exits by itself after this job, nobody can join it.
            pthread_detach(thread)
            return
        }
        pthread_join(thread, nil)
    }

    /// Runs `body` holding the channel, as a submitter starting a lookup at once does: the
    /// loop thread, woken meanwhile, waits for it (for tests: a loop kept busy).
    func whileHoldingChannel(_ body: () throws -> Void) rethrows {
        ownership.lock()
        defer { ownership.unlock() }
        try body()
    }

    /// Whether the loop thread sleeps with no query in flight and nothing queued (for tests:
    /// what a lookup submitted now finds).
    var isAsleepAndIdle: Bool {
        guard ownership.tryLock() else { return false }
        defer { ownership.unlock() }
        return !stopped && inFlight == 0 && waiting.isEmpty && inbox.withLockedValue { $0.jobs.isEmpty }
    }

    /// Whether the calling thread drives this loop now: its own thread, or a reader's
    /// thread holding the channel (``readAtOnce(_:_:)``).
    var isLoopThread: Bool {
        let me = pthread_self()
        return loopThreadID.load(ordering: .relaxed) == me || readerThreadID.load(ordering: .relaxed) == me
    }

    /// Whether the calling thread is the one that reads this loop's UDP sockets: a lookup
    /// started there and sent on this channel is answered on the same thread.
    var readsOnCallingThread: Bool { home?.isCurrentThread ?? false }

    /// Queues `job` if the loop thread is awake (or a reader holds the channel), or already
    /// woken for an earlier job; false, and nothing queued (`job` not even made), if it sleeps.
    func queueIfAwake(_ job: @autoclosure () -> Job) -> Bool {
        inbox.withLockedValue { inbox in
            if case .appended = inbox.append(job(), onlyIfAwake: true) { return true }
            return false
        }
    }

    func enqueue(_ job: Job) {
        let appended = inbox.withLockedValue { $0.append(job, onlyIfAwake: false) }
        guard case .appended(wake: true) = appended else { return }
        if case .start = job { wakeUpsForStarts.add(1, ordering: .relaxed) }
        watcher.wake()
    }
}

// MARK: - Loop-thread-only API for lookups

extension ChannelLoop {
    /// Runs `body` with the channel, counting the `queries` the c-ares operation it starts
    /// sends at once. The operation's callback must call ``operationFinished(queries:)``
    /// exactly once with the same number. Loop thread only.
    func withChannel(queries: Int, _ body: (ares_channel) -> Void) {
        inFlight += queries
        noteAresActivity()
        body(channel)
    }

    /// A c-ares callback has fired (answer, error, or channel destruction). Loop thread only.
    func operationFinished(queries: Int) {
        inFlight -= queries
    }

    /// Whether one more operation, of any kind, fits under the query limit. One always
    /// runs, however small the limit.
    private var hasRoom: Bool {
        inFlight == 0 || inFlight + Self.maxQueriesPerOperation <= queryLimit
    }
}

// MARK: - The loop

extension ChannelLoop {
    private func run() {
        loopThreadID.store(pthread_self(), ordering: .relaxed)
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        var running = true
        ownership.lock()
        while running {
            // The sleep is planned while the thread holds the channel: a lookup started at
            // once while it sleeps compares its needs with `sleepsUntil`.
            let wait = nextWaitMilliseconds()
            // The channel is free from here until the thread takes it back: a submitting
            // thread may start a lookup on it meanwhile (``startAtOnce(_:)``). `loopAwake`
            // turns false only after the channel is released and true again before it is
            // retaken, so a submitter that finds the loop asleep finds the channel free
            // unless another submitter holds it; one that finds it awake queues without a
            // wake-up (``submit(_:)``).
            ownership.unlock()
            // What was queued during the turn, without a wake-up, runs before the loop sleeps;
            // running it may queue more (a lookup that fails at once, whose completion starts
            // another), which the next pass finds.
            guard inbox.withLockedValue({ inbox in
                inbox.loopAwake = !inbox.jobs.isEmpty
                return !inbox.loopAwake
            }) else {
                ownership.lock()
                sleepsUntil = .max
                running = runInbox() && running
                startWaiting()
                continue
            }
            let ready = epoll_wait(watcher.epollFD, &events, Int32(events.count), wait)
            let failure = errno
            inbox.withLockedValue { $0.loopAwake = true }
            ownership.lock()
            sleepsUntil = .max  // awake: the next turn plans again
            if ready < 0 && failure != EINTR {
                preconditionFailure("epoll_wait failed: \(String(cString: strerror(failure)))")
            }
            // Before any lookup of this wake-up starts: on the channel in the latest order,
            // with sockets younger than their lifetime.
            if channelIsDueForReplacement { replaceChannel() }
            var processedAres = false
            for slot in 0..<max(0, Int(ready)) {
                let fd = events[slot].data.fd
                if fd == watcher.wakeFD {
                    watcher.drainWake()
                    running = runInbox() && running
                    continue
                }
                if fd == watcher.timerFD {
                    watcher.drainTimer()
                    continue
                }
                let flags = events[slot].events
                let readable = flags & (EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
                let writable = flags & EPOLLOUT.rawValue != 0
                ares_process_fd(channel, readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD)
                // A channel ignores descriptors that are not its own.
                for old in draining {
                    ares_process_fd(old.channel, readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD)
                }
                processedAres = true
            }
            let now = MonotonicClock.now()
            if now >= aresWakeAt {
                if !processedAres {
                    ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD)
                    for old in draining { ares_process_fd(old.channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD) }
                }
                aresWakeAt = exactAresWakeAt(now: now)
            } else if processedAres {
                noteAresActivity()
            }
            expireDeadlines(now: now)
            sweepUpstreamTraffic(now: now)
            startWaiting()
        }
        shutDownChannel()
        stopped = true
        ownership.unlock()
    }

    /// Runs submitted jobs; false when asked to stop.
    private func runInbox() -> Bool {
        run(inbox.withLockedValue { $0.takeJobs() })
    }

    /// Runs `jobs`; false when one asks to stop. Holder of the channel only.
    func run(_ jobs: [Job]) -> Bool {
        var keepRunning = true
        // Arrivals go to c-ares per socket, all of a socket's in one call (each call costs
        // c-ares a pass over its servers and timeouts), after the starts: a reply never
        // belongs to a query started in the same batch.
        var arrivals: [(socket: ReadSocket, queued: [QueuedArrival])] = []
        for job in jobs {
            switch job {
            case .start(let record):
                accept(record)
            case .arrival(let socket, let arrival):
                if let index = arrivals.firstIndex(where: { $0.socket === socket }) {
                    arrivals[index].queued.append(arrival)
                } else {
                    arrivals.append((socket, [arrival]))
                }
            case .stop:
                keepRunning = false
            }
        }
        for (socket, queued) in arrivals { feed(socket, queued: queued) }
        return keepRunning
    }

    /// Starts `record` now if a slot is free and nothing waits before it, else queues it.
    /// Holder of the channel only.
    private func accept(_ record: LookupRecord) {
        guard record.isPending else { return }  // cancelled before it reached the loop
        if let deadline = record.deadline { deadlines.insert(Deadline(at: deadline, record: record)) }
        if hasRoom && waiting.isEmpty {
            record.start(on: self)
        } else {
            waiting.append(record)
            if waiting.count >= purgeWaitingAt {
                let before = waiting.count
                waiting.removeAll { !$0.isPending }
                purgeWaitingAt = max(Self.purgeFloor, 2 * waiting.count)
                droppedWhileWaiting.add(before - waiting.count, ordering: .relaxed)
            }
        }
    }

    func startWaiting() {
        while hasRoom, let record = waiting.popFirst() {
            if record.isPending { record.start(on: self) }
        }
    }

    private func expireDeadlines(now: UInt64) {
        while let first = deadlines.min, first.at <= now {
            deadlines.removeMin()
            first.record.fail(.timedOut)
        }
    }

    /// c-ares never schedules a retry sooner than one per-try timeout after it sends, so
    /// after any activity `now + timeout` bounds its next deadline from above; when that
    /// bound passes, ask c-ares for the exact time once.
    func noteAresActivity() {
        let bound = MonotonicClock.now() &+ timeoutPerTryNanoseconds
        if bound < aresWakeAt { aresWakeAt = bound }
    }

    private func exactAresWakeAt(now: UInt64) -> UInt64 {
        var wakeAt = Self.nextAresTimeout(channel, now: now) ?? .max
        for old in draining { wakeAt = min(wakeAt, Self.nextAresTimeout(old.channel, now: now) ?? .max) }
        return wakeAt
    }

    /// When `channel` next needs ares_process_fd for its timeouts; nil when it has no queries.
    private static func nextAresTimeout(_ channel: ares_channel, now: UInt64) -> UInt64? {
        var buffer = timeval()
        guard let next = ares_timeout(channel, nil, &buffer) else { return nil }
        let delay = UInt64(max(0, next.pointee.tv_sec)) * 1_000_000_000 + UInt64(max(0, next.pointee.tv_usec)) * 1000
        return now &+ delay
    }

    /// Counts the tries that timed out and destroys the old channels whose queries have all finished.
    private func sweepUpstreamTraffic(now: UInt64) {
        traffic.sweep(now: now)
        if !draining.isEmpty {
            for old in draining { old.traffic.sweep(now: now) }
            draining.removeAll { old in
                guard Self.nextAresTimeout(old.channel, now: now) == nil else { return false }
                ares_destroy(old.channel)
                return true
            }
        }
    }

    /// Whether the upstream order has changed since the channel was made, or its sockets
    /// have served their lifetime: then a fresh channel takes the next lookups.
    private var channelIsDueForReplacement: Bool {
        board.orderGeneration.load(ordering: .relaxed) != orderGeneration || socketsOutlived(now: MonotonicClock.now())
    }

    /// Whether the channel's sockets have served their lifetime. c-ares keeps them open
    /// between queries (ARES_FLAG_STAYOPEN) and 1.18 cannot close them while the channel
    /// lives, so a fresh channel — fresh sockets, fresh source ports — takes over; the old
    /// one drains like one of an older order. Checked only when the loop wakes: an idle
    /// channel keeps its socket until its next lookup, which then starts on a new one.
    private func socketsOutlived(now: UInt64) -> Bool {
        guard let opened = traffic.firstSocketOpenedAt else { return false }
        return now &- opened >= socketLifetimeNanoseconds
    }

    /// A new channel in the board's latest order takes over new lookups; the current one
    /// drains (its queries finish on it) and is destroyed when it has none.
    private func replaceChannel() {
        let order = board.order
        orderGeneration = order.generation
        // On failure (out of memory, descriptors) the current channel stays, in its old order.
        guard let (newChannel, newTraffic) = try? Self.makeChannel(
            configuration: configuration, watcher: watcher, board: board, order: order.indexes, home: home) else { return }
        draining.append((channel, traffic))
        channel = newChannel
        traffic = newTraffic
    }

    /// When the loop next has work of its own: c-ares' retries, the tries to sweep, the
    /// earliest deadline (``MonotonicClock``; `.max`: none).
    private func nextWakeAt() -> UInt64 {
        var wakeAt = min(aresWakeAt, traffic.nextExpiry)
        for old in draining { wakeAt = min(wakeAt, old.traffic.nextExpiry) }
        if let first = deadlines.min { wakeAt = min(wakeAt, first.at) }
        return wakeAt
    }

    /// `epoll_wait`'s timeout until ``nextWakeAt()``; notes it in `sleepsUntil`.
    private func nextWaitMilliseconds() -> Int32 {
        let wakeAt = nextWakeAt()
        sleepsUntil = wakeAt
        if wakeAt == .max { return -1 }
        let now = MonotonicClock.now()
        if wakeAt <= now { return 0 }
        let milliseconds = (wakeAt - now + 999_999) / 1_000_000  // round up: never wake early and spin
        return Int32(clamping: milliseconds)
    }

    private func shutDownChannel() {
        // Callbacks fire with ARES_EDESTRUCTION here; their lookups are already finished,
        // so they only release memory.
        ares_destroy(channel)
        for old in draining { ares_destroy(old.channel) }
        draining.removeAll()
        for record in waiting { record.fail(.aborted) }
        waiting.removeAll()
        deadlines = Heap()
    }
}

// MARK: - Observability

extension ChannelLoop {
    /// CPU time the loop thread has used, in nanoseconds (for proving that idle means idle).
    var threadCPUNanoseconds: UInt64 {
        guard let thread else { return 0 }
        var clock = clockid_t()
        guard pthread_getcpuclockid(thread, &clock) == 0 else { return 0 }
        var spec = timespec()
        clock_gettime(clock, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
