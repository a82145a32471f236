import NIOConcurrencyHelpers
import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// ``StubAnswering`` on today's ``LookupService``: each DNS question becomes the v1 lookup
/// that asks the same thing, so the stub shares the cache and in-flight lookups with v1
/// and Varlink (a name asked through the stub and as a v1 `query` costs one upstream query).
///
/// - A question of a type ``DNSRecordType`` lists → `query` (name, type); its records are
///   the answer (CNAME chain first, TTLs counting down from the cache).
/// - A or AAAA of a hosts-file name → `gethostbyname`, PTR of a hosts-file address →
///   `gethostbyaddr`: answered from the hosts file with TTL 0. `localhost` is
///   ``StubLocalNames``' and never reaches the service.
/// - WSAHOST_NOT_FOUND → NXDOMAIN, WSANO_DATA → NODATA (NOERROR, empty), an expired entry
///   served stale → its records (TTL 30), anything else → SERVFAIL.
///
/// What it cannot do today, and the question-keyed service will: put the upstream's SOA in
/// the authority section of NXDOMAIN/NODATA (``QueryAnswer`` keeps only the negative TTL),
/// answer types ``DNSRecordType`` does not list (NOTIMP here: the engine keeps no raw
/// records), pass DO/CD questions to the upstream with those bits (they are asked as plain
/// questions and get no DNSSEC records), or ask classes other than IN (NOTIMP).
struct LookupServiceStubAnswering: StubAnswering {
    let lookups: LookupService
    /// A hosts-file entry's buffer: large enough for any entry (a v1 default would fail long ones).
    private static let hostBufferLength = 1 << 16

    func ask(_ question: StubQuestion, owner: StubOwner, completion: @escaping @Sendable (StubAnswer) -> Void) -> StubTicket {
        if let local = StubLocalNames.localhostAnswer(question) {
            completion(local)
            return .answered
        }
        let resolver = lookups.resolver
        guard question.qclass == DNSWireType.classIN, let key = lookupKey(question, resolver: resolver) else {
            completion(StubAnswer(rcode: .notImplemented, status: .typeNotFound, source: .upstream, fromCache: false))
            return .answered
        }
        let caller = pthread_self()
        let rendezvous = NIOLockedValueBox(Rendezvous.starting)
        let deliver: @Sendable (Result<LookupValue, ResolverError>, LookupSource) -> Void = { result, source in
            completion(Self.answer(result, to: question, key: key, source: source.monitorSource(for: key, resolver: resolver)))
        }
        let started = lookups.start(key, owner: owner.uid, connection: owner.connection) { result in
            let source: LookupSource? = rendezvous.withLockedValue { state in
                switch state {
                case .started(let token): return token.source
                case .starting where pthread_equal(pthread_self(), caller) != 0: return .cache  // answered inside `start`
                case .starting, .answered:
                    // An upstream answer on another thread before `start` returned: the
                    // token that says where it came from is not known yet; `ask` delivers it.
                    state = .answered(result)
                    return nil
                }
            }
            if let source { deliver(result, source) }
        }
        let early = rendezvous.withLockedValue { state -> Result<LookupValue, ResolverError>? in
            defer { state = .started(started) }
            if case .answered(let result) = state { return result }
            return nil
        }
        if let early { deliver(early, started.source) }
        let lookups = self.lookups
        return StubTicket { lookups.cancel(started, with: .aborted) }
    }

    /// Where a lookup's answer meets its token, which says where the answer came from.
    private enum Rendezvous {
        case starting
        case answered(Result<LookupValue, ResolverError>)
        case started(LookupService.Token)
    }

    private func lookupKey(_ question: StubQuestion, resolver: CoreResolver) -> LookupKey? {
        switch question.type {
        case StubLocalNames.typeA where resolver.answersLocally(name: question.name, family: .inet):
            return .hostByName(name: question.name, family: .inet, bufferLength: Self.hostBufferLength, timeout: nil)
        case StubLocalNames.typeAAAA where resolver.answersLocally(name: question.name, family: .inet6):
            return .hostByName(name: question.name, family: .inet6, bufferLength: Self.hostBufferLength, timeout: nil)
        case StubLocalNames.typePTR:
            if let address = StubLocalNames.address(ofReverseName: question.name), resolver.answersLocally(address: address) {
                return .hostByAddress(address: address, bufferLength: Self.hostBufferLength, timeout: nil)
            }
        default:
            break
        }
        return DNSRecordType(number: question.type).map { .query(name: question.name, type: $0, timeout: nil) }
    }

    static func answer(
        _ result: Result<LookupValue, ResolverError>, to question: StubQuestion, key: LookupKey, source: MonitorEvent.Source
    ) -> StubAnswer {
        let status = ResultCode(rawValue: result.resultCode)
        let fromCache = source == .cache || source == .stale
        switch result {
        case .success(.stale(let value)):
            return answer(.success(value), to: question, key: key, source: .stale)
        case .success(.query(let answer)):
            return StubAnswer(rcode: .noError, answer: answer.records.map { .parsed($0) }, status: status, source: source, fromCache: fromCache)
        case .success(.host(let entry)):
            let records: [DNSRecord]
            if case .hostByAddress = key {
                records = [DNSRecord(name: question.name, ttl: entry.ttl ?? 0, data: .ptr(target: entry.name))]
            } else {
                records = entry.addresses.map { address in
                    DNSRecord(name: question.name, ttl: entry.ttl ?? 0, data: entry.family == .inet6 ? .aaaa(address: address) : .a(address: address))
                }
            }
            return StubAnswer(rcode: .noError, answer: records.map { .parsed($0) }, status: status, source: source, fromCache: fromCache)
        case .success:
            return StubAnswer(rcode: .serverFailure, status: status, source: source, fromCache: fromCache)
        case .failure(let error) where error.code == .hostNotFound:
            return StubAnswer(rcode: .nameError, status: status, source: source, fromCache: fromCache)
        case .failure(let error) where error.code == .noData:
            return StubAnswer(rcode: .noError, status: status, source: source, fromCache: fromCache)
        case .failure:
            return StubAnswer(rcode: .serverFailure, status: status, source: source, fromCache: fromCache)
        }
    }
}
