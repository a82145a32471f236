import NIOCore

/// Back-pressure for one connection: whether its requests (`Frame`: a protocol v1 request
/// line, a Varlink message) are executed as they arrive, or held until the client has read
/// enough of its replies. Both front ends use it, through ``BackPressuredConnection``.
///
/// The bound is on reply bytes queued for the client (`max_queued_reply_bytes`): the
/// channel's write-buffer water marks say when it is crossed (high: the bound; low: half
/// of it) and the connection's handler reports the channel's writability here. While the
/// channel is not writable the connection is *paused*: nothing more is read from the
/// socket (`autoRead` off), and the lines already read — one read burst at most, which
/// can hold thousands of requests — are held in order instead of executed. When the client
/// has drained below the low mark the held lines run, in order, until the bound is
/// crossed again or none is left; then, and only then, reading resumes (and an end of
/// input that arrived behind the held lines takes effect).
///
/// ```
///   FLOWING ── unwritable ──► PAUSED(held lines) ── writable ──► RESUMING ── held lines run,
///      ▲                         ▲                                   │       channel still writable
///      │                         └────── unwritable again ───────────┤
///      └──────────────────── reading resumes ◄────────────────────────┘
/// ```
///
/// Lookups already started are not affected: their replies are still queued (a client
/// that never reads costs its bound plus the replies of its lookups in flight, which
/// `max_lookups_per_connection` bounds) and each completes exactly once. It does not
/// touch the channel, decode lines or decide when the connection closes
/// (``ConnectionStateMachine`` does); it is a value, tested on its own
/// (`ReplyBackPressureTests`).
struct ReplyBackPressure<Frame> {
    enum State: Equatable {
        /// Lines are executed as they are read.
        case flowing
        /// Over the bound: lines are held, nothing is read.
        case paused
        /// Under the low mark again: the held lines are being executed.
        case resuming
    }

    private(set) var state: State = .flowing
    /// Lines read but not executed yet, oldest first.
    private(set) var held = CircularBuffer<Frame>()
    /// The client's end of input arrived behind held lines: it takes effect after them.
    private(set) var inputClosedHeld = false

    init() {}

    /// True while a line that arrives must be held, not executed: the only check on the
    /// path of every request.
    var isHoldingLines: Bool { state != .flowing }

    /// A line arrived while ``isHoldingLines``: kept for later, in order.
    mutating func hold(_ frame: Frame) {
        held.append(frame)
    }

    enum InputClosedAction: Equatable {
        /// No line is held: the end of input takes effect now.
        case process
        /// Lines are held: it takes effect when they have run.
        case hold
    }

    /// The client finished sending.
    mutating func inputClosed() -> InputClosedAction {
        guard isHoldingLines else { return .process }
        inputClosedHeld = true
        return .hold
    }

    enum PauseAction: Equatable {
        /// Stop reading the socket.
        case stopReading
        case none
    }

    /// The queued replies crossed the bound (the channel became unwritable).
    mutating func becameUnwritable() -> PauseAction {
        switch state {
        case .flowing:
            state = .paused
            return .stopReading
        case .resuming:
            // Reading never resumed; executing held lines stops here.
            state = .paused
            return .none
        case .paused:
            return .none
        }
    }

    enum ResumeAction: Equatable {
        /// Execute the held lines (``nextHeldLine()`` until nil), then call ``heldLinesRan()``.
        case runHeldLines
        case none
    }

    /// The client drained the queued replies below the low mark (writable again).
    mutating func becameWritable() -> ResumeAction {
        switch state {
        case .paused:
            state = .resuming
            return .runHeldLines
        case .flowing, .resuming:
            return .none
        }
    }

    /// The next held line to execute, or nil when none is left or the bound was crossed
    /// again meanwhile.
    mutating func nextHeldLine() -> Frame? {
        guard state == .resuming else { return nil }
        return held.popFirst()
    }

    enum AfterHeldLinesAction: Equatable {
        /// Read the socket again; `inputClosed`: first deliver the end of input that was held.
        case resumeReading(inputClosed: Bool)
        /// Paused again (or never resumed): stay as is.
        case none
    }

    /// The held lines have run as far as they could.
    mutating func heldLinesRan() -> AfterHeldLinesAction {
        guard state == .resuming, held.isEmpty else { return .none }
        state = .flowing
        let inputClosed = inputClosedHeld
        inputClosedHeld = false
        return .resumeReading(inputClosed: inputClosed)
    }

    /// The connection is gone: held lines will never run.
    mutating func channelInactive() {
        held.removeAll()
        inputClosedHeld = false
    }
}
