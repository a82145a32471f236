/// The life of one protocol v1 connection, from the first request to the closed channel:
/// when requests are read, when lookups may start, and when the connection closes.
///
/// ```
///   OPEN(work) ───── input closed, work left ─────► INPUT CLOSED(work)
///     │                                                  │
///     │ input closed with no work, line too long,        │ last lookup / admin op answered,
///     │ id out of order, shutdown                        │ line too long, id out of order, shutdown
///     ▼                                                  ▼
///   CLOSING ◄────────────────────────────────────────────┘
///     │
///     │ channel inactive (from any state; aborts what is still in flight)
///     ▼
///   CLOSED
/// ```
///
/// Each method takes one event and returns what the ``ConnectionHandler`` must do; the
/// handler executes the action and keeps the things actions act on (the lookups' tokens,
/// the output buffer). "Work" is what a client is still owed a reply for: lookups in
/// flight and admin ops (a reload runs off the event loop).
///
/// It does not parse requests, hold lookups or write anything, and it has no NIO
/// dependency: it is a value, tested on its own (`ConnectionStateMachineTests`). Its
/// state carries only integers, so no event allocates.
struct ConnectionStateMachine {
    /// Lookups in flight and admin ops not yet answered.
    struct Work: Equatable {
        var lookups = 0
        var adminOps = 0

        var isEmpty: Bool { lookups == 0 && adminOps == 0 }
    }

    enum State: Equatable {
        /// Reading requests and answering them.
        case open(Work)
        /// The client has finished sending (EOF, half-close): what is in flight is answered,
        /// then the connection closes.
        case inputClosed(Work)
        /// Closing once the replies queued so far are written; nothing more is read or started.
        case closing
        /// The channel is inactive: whatever was in flight has been aborted.
        case closed
    }

    private(set) var state: State = .open(Work())

    init() {}

    // MARK: Reading

    enum ReadAction: Equatable {
        /// Decode and execute the line.
        case process
        /// The connection is closing: the line is dropped unanswered.
        case ignore
    }

    /// A request line arrived.
    func lineReceived() -> ReadAction {
        switch state {
        case .open, .inputClosed: .process
        case .closing, .closed: .ignore
        }
    }

    enum CloseAction: Equatable {
        /// Flush what is queued, then close the channel.
        case closeAfterWrites
        case none
    }

    /// A line longer than the limit: answered, then the connection closes (the rest of the
    /// stream cannot be framed).
    mutating func lineTooLong() -> CloseAction {
        protocolErrorThatCloses()
    }

    /// A protocol error after which the stream cannot be trusted (an id not greater than
    /// the last one); its error reply is queued before the action is executed.
    mutating func protocolErrorThatCloses() -> CloseAction {
        switch state {
        case .open, .inputClosed:
            state = .closing
            return .closeAfterWrites
        case .closing, .closed:
            return .none
        }
    }

    // MARK: Lookups and admin ops

    enum StartLookupAction: Equatable {
        case startLookup
        /// `limit` lookups are in flight already: WSAENOBUFS at once, the connection stays open.
        case rejectTooManyInFlight
        /// The connection is closing: nothing starts.
        case ignore
    }

    /// A lookup request, with at most `limit` lookups in flight per connection.
    mutating func lookupRequested(limit: Int) -> StartLookupAction {
        switch state {
        case .open(var work):
            guard work.lookups < limit else { return .rejectTooManyInFlight }
            work.lookups += 1
            state = .open(work)
            return .startLookup
        case .inputClosed(var work):
            guard work.lookups < limit else { return .rejectTooManyInFlight }
            work.lookups += 1
            state = .inputClosed(work)
            return .startLookup
        case .closing, .closed:
            return .ignore
        }
    }

    /// A lookup's reply has been queued (answer, error, timeout, cancel or abort).
    mutating func lookupFinished() -> CloseAction {
        finished { $0.lookups -= 1 }
    }

    /// An admin op that answers later (reload) has started.
    mutating func adminOpStarted() {
        switch state {
        case .open(var work):
            work.adminOps += 1
            state = .open(work)
        case .inputClosed(var work):
            work.adminOps += 1
            state = .inputClosed(work)
        case .closing, .closed:
            break
        }
    }

    /// An admin op's reply has been queued.
    mutating func adminOpFinished() -> CloseAction {
        finished { $0.adminOps -= 1 }
    }

    private mutating func finished(_ update: (inout Work) -> Void) -> CloseAction {
        switch state {
        case .open(var work):
            update(&work)
            assert(work.lookups >= 0 && work.adminOps >= 0, "more work finished than started: \(work)")
            state = .open(work)
            return .none
        case .inputClosed(var work):
            update(&work)
            assert(work.lookups >= 0 && work.adminOps >= 0, "more work finished than started: \(work)")
            guard work.isEmpty else {
                state = .inputClosed(work)
                return .none
            }
            state = .closing
            return .closeAfterWrites
        case .closing, .closed:
            // Aborted on the way out; nothing waits for it.
            return .none
        }
    }

    // MARK: Connection events

    enum InputClosedAction: Equatable {
        /// Nothing in flight: flush and close.
        case closeAfterWrites
        /// Flush the replies queued so far (the last lines may have come without a
        /// `channelReadComplete` after them) and keep answering what is in flight.
        case flush
        case none
    }

    /// The client finished sending.
    mutating func inputClosed() -> InputClosedAction {
        switch state {
        case .open(let work):
            if work.isEmpty {
                state = .closing
                return .closeAfterWrites
            }
            state = .inputClosed(work)
            return .flush
        case .inputClosed, .closing, .closed:
            return .none
        }
    }

    enum ShutdownAction: Equatable {
        /// Abort every lookup in flight (their 995 replies are queued), then flush and close.
        case abortAllThenCloseAfterWrites
        /// Closing already: abort what is still in flight.
        case abortAll
        case none
    }

    /// The daemon is shutting down (``ShutdownEvent``).
    mutating func shutdown() -> ShutdownAction {
        switch state {
        case .open, .inputClosed:
            state = .closing
            return .abortAllThenCloseAfterWrites
        case .closing:
            return .abortAll
        case .closed:
            return .none
        }
    }

    enum InactiveAction: Equatable {
        /// Abort what is still in flight, to free what it holds; its replies go nowhere.
        case abortAll
        case none
    }

    /// The channel went inactive, for whatever reason.
    mutating func channelInactive() -> InactiveAction {
        switch state {
        case .open, .inputClosed, .closing:
            state = .closed
            return .abortAll
        case .closed:
            return .none
        }
    }
}
