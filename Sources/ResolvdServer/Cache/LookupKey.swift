import ResolvdProtocol
import ResolverCore

/// What a front end asks (ResolvdProtocol's ``LookupRequest``): the service turns it into
/// the resolver's ``LookupPlan`` — an answer from memory, or DNS questions and how their
/// outcomes make the answer — and keeps its `timeout_ms` as the op's own deadline.
typealias LookupKey = LookupRequest

extension LookupRequest {
    /// How the resolver answers it, wrapped in the protocol's value.
    func plan(_ resolver: CoreResolver) -> LookupPlan<LookupValue> {
        switch self {
        case .addressInfo(let request):
            resolver.addressInfoPlan(request, as: LookupValue.addressInfo)
        case .nameInfo(let request):
            resolver.nameInfoPlan(request, as: LookupValue.nameInfo)
        case .query(let name, let type, _):
            resolver.queryPlan(name, type: type, as: LookupValue.query)
        case .hostByName(let name, let family, let bufferLength, _):
            resolver.hostByNamePlan(name, family: family, bufferLength: bufferLength, as: LookupValue.host)
        case .hostByAddress(let address, let bufferLength, _):
            resolver.hostByAddressPlan(address, bufferLength: bufferLength, as: LookupValue.host)
        case .serviceByName(let name, let proto, let bufferLength):
            resolver.serviceByNamePlan(name, proto: proto, bufferLength: bufferLength).map(LookupValue.service)
        case .serviceByPort(let port, let proto, let bufferLength):
            resolver.serviceByPortPlan(port, proto: proto, bufferLength: bufferLength).map(LookupValue.service)
        case .protocolByName(let name, let bufferLength):
            resolver.protocolByNamePlan(name, bufferLength: bufferLength).map(LookupValue.protocolEntry)
        case .protocolByNumber(let number, let bufferLength):
            resolver.protocolByNumberPlan(number, bufferLength: bufferLength).map(LookupValue.protocolEntry)
        }
    }

    /// Whether the resolver answers it from DNS questions (else from memory: services and
    /// protocols, which ``ComposedAnswers`` has no use for).
    var isComposedFromQuestions: Bool {
        switch self {
        case .addressInfo, .nameInfo, .query, .hostByName, .hostByAddress: true
        case .serviceByName, .serviceByPort, .protocolByName, .protocolByNumber: false
        }
    }

    /// The request's own timeout (`timeout_ms`), if it has one.
    var timeout: Duration? {
        switch self {
        case .addressInfo(let request): request.timeout
        case .nameInfo(let request): request.timeout
        case .query(_, _, let timeout), .hostByName(_, _, _, let timeout), .hostByAddress(_, _, let timeout): timeout
        case .serviceByName, .serviceByPort, .protocolByName, .protocolByNumber: nil
        }
    }
}

extension DNSRecordData {
    /// The bytes a record's data holds in memory, roughly: its strings' UTF-8 bytes plus
    /// 24 bytes of overhead each (a `String` and its heap header). What makes an answer
    /// large is its data — a TXT record can carry 64 KiB — so the cache's byte bound must
    /// count it, or large answers fill memory far past `cache_max_bytes`.
    var estimatedBytes: Int {
        func size(_ string: String) -> Int { 24 + string.utf8.count }
        switch self {
        case .a(let address), .aaaa(let address): return size(address)
        case .cname(let target), .ns(let target), .ptr(let target): return size(target)
        case .mx(_, let exchange): return 8 + size(exchange)
        case .srv(_, _, _, let target): return 8 + size(target)
        case .txt(let strings): return 16 + strings.reduce(0) { $0 + size($1) }
        case .soa(let mname, let rname, _, _, _, _, _): return 20 + size(mname) + size(rname)
        case .caa(_, let tag, let value): return 8 + size(tag) + size(value)
        case .naptr(_, _, let flags, let service, let regexp, let replacement):
            return 8 + size(flags) + size(service) + size(regexp) + size(replacement)
        case .unknown(_, let rdata): return 24 + rdata.count
        }
    }
}
