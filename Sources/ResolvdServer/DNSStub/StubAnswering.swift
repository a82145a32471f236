import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// The one thing the stub listener needs from the lookup service: answer a DNS question.
///
/// The listener speaks DNS on the wire and keeps its own per-client bookkeeping
/// (``DNSStubBookkeeping``); whatever implements this decides where answers come from
/// (the cache, a lookup in flight, the upstreams, the hosts file). Today that is
/// ``LookupServiceStubAnswering``, an adapter over ``LookupService/start``; a question-keyed
/// service replaces it without the listener changing.
protocol StubAnswering: Sendable {
    /// Asks `question` on behalf of `owner`. `completion` runs once, on any thread, unless
    /// the returned ticket is cancelled first (then it may still run, with an answer the
    /// caller ignores). A question answered at once (the cache) completes before this returns.
    func ask(_ question: StubQuestion, owner: StubOwner, completion: @escaping @Sendable (StubAnswer) -> Void) -> StubTicket

    /// The answer when the service has it without waiting (a live cache entry, `localhost`,
    /// NOTIMP), else nil (then ``ask(_:owner:completion:)``): nothing is held for it, so the
    /// listener answers it without its in-flight bookkeeping.
    func answerAtOnce(_ question: StubQuestion) -> StubAnswer?

    /// Whether an answer given earlier with `provenance` may be given again at `now`
    /// (``StubWrittenAnswers``): nothing it was made from has changed or expired.
    func stillHolds(_ provenance: AnswerProvenance, now: UInt64) -> Bool
}

extension StubAnswering {
    func answerAtOnce(_ question: StubQuestion) -> StubAnswer? { nil }
    func stillHolds(_ provenance: AnswerProvenance, now: UInt64) -> Bool { false }
}

/// A question as the client sent it.
struct StubQuestion: Sendable, Hashable {
    /// The name as text (``StubQuery/name``: `dig`'s escapes), letter case as sent.
    var name: String
    var type: UInt16
    var qclass: UInt16
    /// DO: the client wants DNSSEC records (RFC 3225).
    var dnssecOK: Bool
    /// CD: the client validates itself (RFC 4035).
    var checkingDisabled: Bool

    init(_ query: StubQuery) {
        self.init(
            name: query.name, type: query.type, qclass: query.qclass, dnssecOK: query.edns?.dnssecOK ?? false,
            checkingDisabled: query.checkingDisabled)
    }

    init(name: String, type: UInt16, qclass: UInt16, dnssecOK: Bool = false, checkingDisabled: Bool = false) {
        (self.name, self.type, self.qclass, self.dnssecOK, self.checkingDisabled) = (name, type, qclass, dnssecOK, checkingDisabled)
    }
}

/// Who asks: charged for upstream lookups, counted per client, filtered by `monitor`.
struct StubOwner: Sendable {
    /// The sending socket's uid when the kernel says it (not today: see docs/stub.md), else nil.
    var uid: uid_t?
    /// The source address (UDP) or the connection's (TCP), as text.
    var source: String
    /// A share queue of its own per source (``LookupService/makeConnectionID()``).
    var connection: UInt64
}

/// An answer, ready for the wire, and how it was reached (for stats and `monitor`).
struct StubAnswer: Sendable {
    var rcode: DNSResponseCode
    var answer: [DNSRecord] = []
    /// The SOA of an NXDOMAIN or NODATA answer, when the service has it.
    var authority: [DNSRecord] = []
    /// The outcome in resolvd's status table, for `stats` and `monitor`.
    var status: ResultCode
    var source: MonitorEvent.Source
    /// Whether it came from the cache (counted as a cache hit per client).
    var fromCache: Bool
    /// For an answer wholly from the cache: what it was made from, so that the listener may
    /// write the same bytes again while that holds (``StubWrittenAnswers``).
    var provenance: AnswerProvenance?
}

/// Cancels an unanswered question: its waiter leaves, and the lookup behind it is
/// detached or abandoned by the service's rules (docs/cache.md).
struct StubTicket: Sendable {
    let cancel: @Sendable () -> Void

    static let answered = StubTicket(cancel: {})
}
