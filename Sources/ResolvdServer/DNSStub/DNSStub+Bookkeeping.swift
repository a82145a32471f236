#if canImport(Glibc)
import Glibc
#endif

import NIOCore
import ResolvdProtocol
import ResolverCore
import Synchronization

/// The stub listener's per-lookup bookkeeping, the same as v1's and Varlink's: a lookup
/// counts in `stats` (`lookups`, `in_flight`, `front_ends.dns`, latency, outcomes, and
/// `clients` under its uid when the kernel named one) from ``DNSStubLookups/begin(_:client:)``
/// to ``DNSStubLookups/end(_:_:_:owner:client:)``, and each is offered
/// to the running `monitor`s as front end `dns`. Kept in this one file so that it can fold
/// into the piece every front end shares.
///
/// It does not answer, parse or write DNS.
final class DNSStubLookups: Sendable {
    let server: ServerContext
    let answering: any StubAnswering
    /// The `clients` counters of a local source's uid, one more user of them; nil for no uid.
    func register(_ uid: uid_t?) -> ClientCounters? {
        uid.map { server.clients.register(uid: $0) }
    }

    func release(_ client: ClientCounters?) {
        if let client { server.clients.release(client) }
    }

    /// UDP questions in flight on every stub socket together (`dns_max_queries`).
    let udpInFlight = Atomic<Int>(0)

    init(server: ServerContext, answering: any StubAnswering) {
        self.server = server
        self.answering = answering
    }

    /// Asks `question` for a handler confined to `eventLoop`: `answered` runs there, once —
    /// before this returns for an answer the service has at once (a cache hit: no hop).
    func ask(
        _ question: StubQuestion, owner: StubOwner, on eventLoop: any EventLoop, _ answered: @escaping (StubAnswer) -> Void
    ) -> StubTicket {
        let answered = NIOLoopBound(answered, eventLoop: eventLoop)
        return answering.ask(question, owner: owner) { answer in
            if eventLoop.inEventLoop {
                answered.value(answer)
            } else {
                eventLoop.execute { answered.value(answer) }
            }
        }
    }

    /// A lookup starts: counted, and its start time returned.
    func begin(_ question: StubQuestion, client: ClientCounters?) -> UInt64 {
        client?.lookupStarted()
        server.stats.lookups.add(1, ordering: .relaxed)
        server.stats.dnsLookups.add(1, ordering: .relaxed)
        server.stats.inFlight.add(1, ordering: .relaxed)
        return MonotonicClock.microseconds()
    }

    /// A lookup ends, answered or abandoned (`answer` nil: its client left, ERROR_OPERATION_ABORTED).
    func end(_ startedAt: UInt64, _ question: StubQuestion, _ answer: StubAnswer?, owner: StubOwner, client: ClientCounters?) {
        let latency = MonotonicClock.microseconds() &- startedAt
        let status = answer?.status ?? .operationAborted
        client?.lookupFinished(status.rawValue, fromCache: answer?.fromCache ?? false)
        server.stats.recordLatency(microseconds: latency)
        server.stats.recordOutcome(status.rawValue)
        // Nothing to build, and no lock to take, while nobody monitors.
        guard server.monitors.isActive else { return }
        server.monitors.publish(uid: owner.uid) {
            MonitorEvent(
                time: MonitorEvent.now(), peer: nil, frontend: "dns", operation: .query, name: question.name,
                type: DNSRecordType(number: question.type)?.rawValue ?? "TYPE\(question.type)", status: status.rawValue,
                error: status == .noError ? nil : status.symbol, source: answer?.source ?? .upstream,
                latencyMicroseconds: Int(clamping: latency),
                summary: answer.map { $0.answer.count == 1 ? "1 record" : "\($0.answer.count) records" } ?? "aborted")
        }
    }
}

/// The questions one client has in flight (a TCP connection's, or a UDP socket's by
/// source and question), each with its ticket: answering removes one, a closed connection
/// cancels them all. Event-loop confined; integers and a dictionary only.
struct StubInFlight<Key: Hashable> {
    struct Entry {
        var ticket: StubTicket?
        let question: StubQuestion
        let startedAt: UInt64
    }

    private(set) var entries: [Key: Entry] = [:]

    var count: Int { entries.count }

    func contains(_ key: Key) -> Bool { entries[key] != nil }

    mutating func insert(_ key: Key, _ question: StubQuestion, startedAt: UInt64) {
        entries[key] = Entry(ticket: nil, question: question, startedAt: startedAt)
    }

    /// Records the ticket of a question still unanswered after its `ask` returned.
    mutating func setTicket(_ ticket: StubTicket, for key: Key) {
        entries[key]?.ticket = ticket
    }

    mutating func remove(_ key: Key) -> Entry? {
        entries.removeValue(forKey: key)
    }

    /// Empties the table; the caller cancels each ticket and ends each lookup.
    mutating func removeAll() -> [Entry] {
        defer { entries.removeAll() }
        return Array(entries.values)
    }
}
