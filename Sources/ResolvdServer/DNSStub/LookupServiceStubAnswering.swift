import NIOConcurrencyHelpers
import ResolvdProtocol
import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// ``StubAnswering`` on the ``LookupService``: a DNS question is asked as it is — one
/// question of the DNS cache (``LookupService/ask(_:owner:allowsStale:consultingCache:completion:)``),
/// shared with every op of v1 and Varlink (a name asked through the stub and as a v1 `query`
/// costs one upstream query); its outcome goes on the wire as it came: the CNAME chain and
/// the records, TTLs counting down from the cache; NXDOMAIN and NODATA with the zone's SOA in
/// the authority section; SERVFAIL for a failure or a malformed reply; an expired entry
/// served stale (TTL 30).
///
/// A or AAAA of a hosts-file name and PTR of a hosts-file address are answered from the
/// hosts file (TTL 0) through `gethostbyname`/`gethostbyaddr`; `localhost` is
/// ``StubLocalNames``' and never reaches the service.
///
/// A type resolvd has no parser for is asked like any other and its records go back as the
/// upstream sent them (RFC 3597 opaque RDATA), cached by the same rules; the few types whose
/// RDATA could hold compressed names, OPT, and meta types are NOTIMP.
///
/// A DO or CD question goes to the upstream with those bits and its reply comes back as the
/// upstream sent it (every answer and authority record: RRSIG, NSEC… kept opaque), never from
/// or into the cache; it coalesces only with the same question with the same bits, and is
/// charged to its owner's share like any other. resolvd does not validate (no AD).
///
/// What it does not do: ask classes other than IN (NOTIMP).
struct LookupServiceStubAnswering: StubAnswering {
    let lookups: LookupService
    /// A hosts-file entry's buffer: large enough for any entry (a v1 default would fail long ones).
    private static let hostBufferLength = 1 << 16

    func answerAtOnce(_ question: StubQuestion) -> StubAnswer? {
        if let local = StubLocalNames.localhostAnswer(question) { return local }
        guard Self.isAskedUpstream(question) else { return Self.notImplemented }
        // A DO or CD question goes upstream with its bits (never the cache); a hosts-file
        // name is answered by gethostbyname/gethostbyaddr: both through `ask`.
        guard Self.dnssecBits(question).isEmpty, hostsFileKey(question, resolver: lookups.resolver) == nil else { return nil }
        guard let (outcome, provenance) = lookups.cachedAnswer(DNSQuestion(name: question.name, type: question.type)) else { return nil }
        var answer = Self.answer(outcome, source: .cache)
        answer.provenance = provenance
        return answer
    }

    func stillHolds(_ provenance: AnswerProvenance, now: UInt64) -> Bool {
        lookups.stillHolds(provenance, now: now)
    }

    /// Class IN, and a type resolvd parses or keeps opaque (``DNSRecordData/isKeptOpaque(_:)``);
    /// any other is NOTIMP.
    private static func isAskedUpstream(_ question: StubQuestion) -> Bool {
        question.qclass == DNSWireType.classIN && (DNSRecordType(number: question.type) != nil || DNSRecordData.isKeptOpaque(question.type))
    }

    /// DO and CD as the client sent them.
    static func dnssecBits(_ question: StubQuestion) -> DNSQuestion.DNSSECBits {
        var bits: DNSQuestion.DNSSECBits = []
        if question.dnssecOK { bits.insert(.dnssecOK) }
        if question.checkingDisabled { bits.insert(.checkingDisabled) }
        return bits
    }

    private static let notImplemented = StubAnswer(rcode: .notImplemented, status: .typeNotFound, source: .upstream, fromCache: false)

    func ask(_ question: StubQuestion, owner: StubOwner, completion: @escaping @Sendable (StubAnswer) -> Void) -> StubTicket {
        if let local = StubLocalNames.localhostAnswer(question) {
            completion(local)
            return .answered
        }
        let resolver = lookups.resolver
        guard Self.isAskedUpstream(question) else {
            completion(Self.notImplemented)
            return .answered
        }
        if let key = hostsFileKey(question, resolver: resolver) {
            _ = lookups.start(key, owner: owner.uid, connection: owner.connection) { result, source in
                completion(Self.answer(result, to: question, key: key, source: source.monitorSource(for: key, resolver: resolver)))
            }
            return .answered
        }
        let dnssec = Self.dnssecBits(question)
        let lone = lookups.ask(
            DNSQuestion(name: question.name, type: question.type, dnssec: dnssec), owner: ShareOwner(uid: owner.uid, connection: owner.connection),
            allowsStale: dnssec.isEmpty, consultingCache: dnssec.isEmpty
        ) { outcome, stale, source in
            completion(Self.answer(outcome, source: stale ? .stale : source.monitorSource))
        }
        let lookups = self.lookups
        return StubTicket { lookups.cancel(lone) }
    }

    private func hostsFileKey(_ question: StubQuestion, resolver: CoreResolver) -> LookupKey? {
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
        return nil
    }

    /// A question's outcome on the wire.
    static func answer(_ outcome: QuestionOutcome, source: MonitorEvent.Source) -> StubAnswer {
        let fromCache = source == .cache || source == .stale
        switch outcome {
        case .records(let chain, let records):
            return StubAnswer(rcode: .noError, answer: chain + records, status: .noError, source: source, fromCache: fromCache)
        case .nameError(let chain, let soa):
            return StubAnswer(
                rcode: .nameError, answer: chain, authority: soa.map { [$0] } ?? [], status: .hostNotFound,
                source: source, fromCache: fromCache)
        case .noData(let chain, let soa):
            return StubAnswer(
                rcode: .noError, answer: chain, authority: soa.map { [$0] } ?? [], status: .noData,
                source: source, fromCache: fromCache)
        case .failure(let error), .malformed(let error):
            return StubAnswer(rcode: .serverFailure, status: error.code, source: source, fromCache: fromCache)
        case .passedThrough(let rcode, let answer, let authority):
            // Only NOERROR and NXDOMAIN replies are read (the rest are failures, above).
            let nameError = rcode == DNSResponseCode.nameError.rawValue
            return StubAnswer(
                rcode: nameError ? .nameError : .noError, answer: answer, authority: authority,
                status: nameError ? .hostNotFound : answer.isEmpty ? .noData : .noError, source: source, fromCache: false)
        }
    }

    /// A hosts-file answer on the wire.
    static func answer(
        _ result: Result<LookupValue, ResolverError>, to question: StubQuestion, key: LookupKey, source: MonitorEvent.Source
    ) -> StubAnswer {
        let status = ResultCode(rawValue: result.resultCode)
        switch result {
        case .success(.host(let entry)):
            let records: [DNSRecord]
            if case .hostByAddress = key {
                records = [DNSRecord(name: question.name, ttl: entry.ttl ?? 0, data: .ptr(target: entry.name))]
            } else {
                records = entry.addresses.map { address in
                    DNSRecord(name: question.name, ttl: entry.ttl ?? 0, data: entry.family == .inet6 ? .aaaa(address: address) : .a(address: address))
                }
            }
            return StubAnswer(rcode: .noError, answer: records, status: status, source: source, fromCache: false)
        case .success:
            return StubAnswer(rcode: .serverFailure, status: status, source: source, fromCache: false)
        case .failure(let error) where error.code == .noData:
            return StubAnswer(rcode: .noError, status: status, source: source, fromCache: false)
        case .failure:
            return StubAnswer(rcode: .serverFailure, status: status, source: source, fromCache: false)
        }
    }
}
