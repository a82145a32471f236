import NIOConcurrencyHelpers
import Synchronization

/// The resolver engine: starts lookups asynchronously, hands back a ``LookupHandle`` at
/// once, and completes every lookup exactly once — with its answer, its error, its
/// timeout, or its cancellation.
///
/// Two API families mirror Windows:
/// - GetAddrInfoEx / DnsQueryEx: ``addressInfo(_:owner:completion:)``,
///   ``nameInfo(_:owner:completion:)``, ``query(_:type:owner:timeout:completion:)``,
///   cancelled with ``cancel(_:)`` (GetAddrInfoExCancel).
/// - WSAAsyncGetXByY: ``hostByName(_:family:bufferLength:owner:completion:)`` and its
///   siblings, cancelled with ``cancelAsyncRequest(_:)`` (WSACancelAsyncRequest).
/// ``cancelAll(owner:)`` is CancelIoEx with a NULL overlapped pointer.
///
/// Completions run on a resolver thread (for answers, errors and timeouts) — or, for a
/// resolver made with ``DatagramReaders``, on the reader that read the reply — or on the
/// thread that cancels (the cancellation is delivered before the cancel call returns).
/// They must not block; they may start or cancel lookups.
///
/// The resolver runs ``ResolverConfiguration/channelCount`` c-ares channels, each on its
/// own ``ChannelLoop`` thread, and spreads lookups over them round-robin. It does not
/// cache: caching belongs to the daemon.
public final class Resolver: Sendable {
    public let configuration: ResolverConfiguration
    let registry = LookupRegistry()
    private let loops: [ChannelLoop]
    /// Upstream health and traffic, shared by the channels (docs/reliability.md).
    let upstreams: UpstreamBoard
    private let prober: UpstreamProber
    private let nextLoop = Atomic<Int>(0)
    private let databasesBox: NIOLockedValueBox<LocalDatabases>
    /// The receive buffer each c-ares UDP socket gets, as measured at start; `nil` when it
    /// could not be measured (the configured limit then applies unchanged).
    public let receiveBuffer: ReceiveBufferCapacity?
    /// The most DNS queries each channel keeps in flight: the configured
    /// ``ResolverConfiguration/maxInFlightPerChannel``, lowered so that all channels together
    /// keep no more than one ``receiveBuffer`` holds.
    public let queryLimitPerChannel: Int

    /// Starts the channel threads. Throws ``ResolverError`` for a bad configuration or an
    /// unreadable database file.
    ///
    /// `datagramReaders`: threads that read the channels' UDP sockets instead of the
    /// channel threads (the daemon's event loops; see ``DatagramReaders``).
    package init(configuration: ResolverConfiguration, datagramReaders: (any DatagramReaders)?) throws(ResolverError) {
        try configuration.validate()
        let databases = try LocalDatabases(configuration: configuration)
        let receiveBuffer = ReceiveBufferCapacity.measure(requestedBytes: configuration.socketReceiveBufferBytes)
        let queryLimit = configuration.queryLimitPerChannel(receiveBuffer: receiveBuffer)
        let board = UpstreamBoard(servers: configuration.servers, probeInterval: configuration.upstreamProbeInterval)
        var loops: [ChannelLoop] = []
        for index in 0..<configuration.channelCount {
            loops.append(
                try ChannelLoop(index: index, configuration: configuration, queryLimit: queryLimit, board: board, readers: datagramReaders))
        }
        self.upstreams = board
        self.prober = UpstreamProber(board: board, timeoutPerTryMilliseconds: configuration.timeoutPerTryMilliseconds)
        self.receiveBuffer = receiveBuffer
        self.queryLimitPerChannel = queryLimit
        self.configuration = configuration
        self.databasesBox = NIOLockedValueBox(databases)
        self.loops = loops
        for loop in loops { loop.startThread() }
        prober.start()
    }

    /// Starts the channel threads. Throws ``ResolverError`` for a bad configuration or an
    /// unreadable database file.
    public convenience init(configuration: ResolverConfiguration) throws(ResolverError) {
        try self.init(configuration: configuration, datagramReaders: nil)
    }

    deinit {
        shutdown()
    }

    /// A new owner for ``cancelAll(owner:)``, such as one per client connection.
    public func makeOwner() -> LookupOwner {
        registry.makeOwner()
    }

    /// How many lookups are pending.
    public var pendingCount: Int { registry.pendingCount }

    /// Aborts every pending lookup (ERROR_OPERATION_ABORTED) and stops the channel
    /// threads. Lookups started afterwards complete at once with ERROR_OPERATION_ABORTED.
    /// Idempotent.
    public func shutdown() {
        guard let pending = registry.close() else { return }
        for record in pending { record.fail(.aborted) }
        for loop in loops { loop.stopAndJoin() }
        prober.stopAndJoin()
    }

    /// Each upstream's health and traffic so far, in configured order.
    public var upstreamStatuses: [UpstreamStatus] { upstreams.statuses }

    /// Re-reads the hosts, services and protocols files named by the configuration.
    /// On error the old databases stay in use.
    public func reloadDatabases() throws(ResolverError) {
        let databases = try LocalDatabases(configuration: configuration)
        databasesBox.withLockedValue { $0 = databases }
    }

    /// Re-reads the hosts, services and protocols files when one of them changed on disk
    /// (another modification time or inode) since it was read. Cheap when nothing changed:
    /// three stat() calls. Returns true when it reloaded.
    @discardableResult
    public func reloadDatabasesIfChanged() throws(ResolverError) -> Bool {
        guard LocalDatabases.stamps(configuration) != databases.fileStamps else { return false }
        try reloadDatabases()
        return true
    }

    var databases: LocalDatabases {
        databasesBox.withLockedValue { $0 }
    }

    /// Registers a lookup and queues it on a channel; the common path of every start call.
    func start<Value: Sendable>(
        owner: LookupOwner,
        timeout: Duration?,
        channelHint: Int? = nil,
        work: @escaping Lookup<Value>.Work,
        completion: @escaping Lookup<Value>.Completion
    ) -> LookupHandle {
        let handle = registry.issueHandle()
        let deadline = timeout.map { MonotonicClock.deadline(after: $0) }
        let lookup = Lookup(
            handle: handle, owner: owner, deadline: deadline, registry: registry, work: work, completion: completion)
        submit(lookup, channelHint: channelHint)
        return handle
    }

    /// Registers `lookup` and queues it on a channel (or fails it, after a shutdown).
    func submit(_ lookup: LookupRecord, channelHint: Int?) {
        guard registry.insert(lookup) else {
            lookup.fail(.aborted)  // shut down: completes at once, still exactly once
            return
        }
        // On the caller's own loop when a channel thread starts it (a completion starting the
        // next lookup needs no wake-up then, and each loop's completions feed that loop),
        // else on the next in turn.
        if let own = loops.first(where: \.isLoopThread) {
            own.submit(lookup)
        } else if let home = loops.first(where: \.readsOnCallingThread) {
            // Started on the thread that reads this channel's replies: answered there too.
            home.submit(lookup)
        } else if let channelHint {
            // Lookups that belong together (one op's questions) on one channel: one wake-up.
            loops[Int(UInt(bitPattern: channelHint) % UInt(loops.count))].submit(lookup)
        } else {
            loops[nextLoop.add(1, ordering: .relaxed).oldValue % loops.count].submit(lookup)
        }
    }

    /// Starts a lookup that fails with `error` (bad input) through the same path as any
    /// other, so the caller still gets a handle first and one completion later.
    func startFailed<Value: Sendable>(
        _ error: ResolverError, owner: LookupOwner, completion: @escaping Lookup<Value>.Completion
    ) -> LookupHandle {
        start(owner: owner, timeout: nil, work: { lookup, _ in lookup.fail(error) }, completion: completion)
    }
}

extension Resolver {
    /// Cancelled lookups dropped from the channels' wait queues by their sweeps.
    var lookupsDroppedWhileWaiting: Int {
        loops.reduce(0) { $0 + $1.droppedWhileWaiting.load(ordering: .relaxed) }
    }

    /// Whether every channel loop sleeps with nothing in flight or queued (for tests).
    var channelsAsleepAndIdle: Bool {
        loops.allSatisfy(\.isAsleepAndIdle)
    }

    /// How often a submitted lookup had to wake a channel loop's thread (eventfd) rather
    /// than start at once on the submitting thread (for tests).
    var channelWakeUpsForStarts: Int {
        loops.reduce(0) { $0 + $1.wakeUpsForStarts.load(ordering: .relaxed) }
    }

    /// How many upstream replies were handed to c-ares on the reader's thread that read
    /// them, not on a channel thread (``DatagramReaders``; for tests).
    var channelRepliesReadAtOnce: Int {
        loops.reduce(0) { $0 + $1.repliesReadAtOnce.load(ordering: .relaxed) }
    }

    /// Upstream datagrams a reader dropped because their channel's inbox was full
    /// (``ChannelLoop/arrivalLimit``): `stats` `upstream.replies_dropped`.
    public var repliesDropped: Int {
        loops.reduce(0) { $0 + $1.arrivalsDropped.load(ordering: .relaxed) }
    }

    /// How many readers' arrivals a channel's inbox holds at most (for tests).
    var channelArrivalLimit: Int { loops[0].arrivalLimit }

    /// Runs `body` holding channel `index`, its loop thread kept waiting (for tests).
    func whileHoldingChannel(_ index: Int, _ body: () throws -> Void) rethrows {
        try loops[index].whileHoldingChannel(body)
    }

    /// CPU time used by all channel threads, in nanoseconds.
    func loopThreadCPUNanoseconds() -> UInt64 {
        loops.reduce(0) { $0 + $1.threadCPUNanoseconds }
    }
}
