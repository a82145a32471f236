import ResolvdProtocol
import ResolverCore

/// What a lookup asks, as a hashable value: identical keys share one upstream query
/// (coalescing) and one cache entry. The key is the typed request itself
/// (ResolvdProtocol's ``LookupRequest``): it holds every parameter that can change the
/// answer, the timeout included (waiters of one shared query share its deadline).
typealias LookupKey = LookupRequest

extension LookupRequest {
    /// Whether answers may be cached: only those that carry TTLs. Services, protocols and
    /// the hosts file are already in memory; PTR answers through c-ares carry no TTL.
    var isCacheable: Bool {
        switch self {
        case .addressInfo, .query, .hostByName: true
        default: false
        }
    }

    /// Whether answering it may take the upstreams: false for what the resolver answers
    /// from memory (IP literals, hosts-file names and addresses, services, protocols), which
    /// therefore never waits for its uid's share of the upstreams. Asked only of a lookup
    /// over its share, so the hosts file is looked up only then.
    func needsUpstream(_ resolver: CoreResolver) -> Bool {
        switch self {
        case .addressInfo(let request):
            !request.flags.contains(.numericHost) && !resolver.answersLocally(name: request.name, family: request.family)
        case .hostByName(let name, let family, _, _):
            !resolver.answersLocally(name: name, family: family)
        case .nameInfo(let request):
            !request.flags.contains(.numericHost) && !resolver.answersLocally(address: request.address)
        case .hostByAddress(let address, _, _):
            !resolver.answersLocally(address: address)
        case .query:
            true
        case .serviceByName, .serviceByPort, .protocolByName, .protocolByNumber:
            false
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

    /// The same request with another timeout (what is left of its own after waiting).
    func withTimeout(_ timeout: Duration) -> LookupRequest {
        switch self {
        case .addressInfo(var request):
            request.timeout = timeout
            return .addressInfo(request)
        case .nameInfo(var request):
            request.timeout = timeout
            return .nameInfo(request)
        case .query(let name, let type, _): return .query(name: name, type: type, timeout: timeout)
        case .hostByName(let name, let family, let bufferLength, _):
            return .hostByName(name: name, family: family, bufferLength: bufferLength, timeout: timeout)
        case .hostByAddress(let address, let bufferLength, _): return .hostByAddress(address: address, bufferLength: bufferLength, timeout: timeout)
        case .serviceByName, .serviceByPort, .protocolByName, .protocolByNumber: return self
        }
    }

    /// A rough size in bytes, for the cache's byte bound.
    var estimatedBytes: Int {
        switch self {
        case .addressInfo(let request): 64 + request.name.utf8.count + (request.service?.utf8.count ?? 0)
        case .query(let name, _, _), .hostByName(let name, _, _, _): 48 + name.utf8.count
        default: 64
        }
    }
}

/// What the cache adds to a lookup's answer (ResolvdProtocol's ``LookupValue``): its
/// lifetime, aging and size.
extension LookupValue {
    /// Seconds the answer may be cached (the smallest TTL behind it), or nil for "do not cache".
    var ttl: UInt32? {
        switch self {
        case .addressInfo(let info): info.addresses.map(\.ttl).min()
        case .query(let answer): answer.records.map(\.ttl).min()
        case .host(let entry): entry.ttl
        default: nil
        }
    }

    /// The same answer `elapsed` seconds later: every TTL lowered by that much.
    func aged(by elapsed: UInt32) -> LookupValue {
        guard elapsed > 0 else { return self }
        switch self {
        case .addressInfo(var info):
            for index in info.addresses.indices { info.addresses[index].ttl -= min(elapsed, info.addresses[index].ttl) }
            return .addressInfo(info)
        case .query(var answer):
            for index in answer.records.indices { answer.records[index].ttl -= min(elapsed, answer.records[index].ttl) }
            return .query(answer)
        case .host(var entry):
            entry.ttl = entry.ttl.map { $0 - min(elapsed, $0) }
            return .host(entry)
        default:
            return self
        }
    }

    /// A rough size in bytes, for the cache's byte bound.
    var estimatedBytes: Int {
        switch self {
        case .addressInfo(let info): 48 + (info.canonicalName?.utf8.count ?? 0) + info.addresses.count * 72
        case .query(let answer): 48 + answer.records.reduce(0) { $0 + 64 + $1.name.utf8.count + $1.data.estimatedBytes }
        case .host(let entry): 64 + entry.name.utf8.count + entry.addresses.count * 40 + entry.aliases.reduce(0) { $0 + $1.utf8.count + 16 }
        default: 64
        }
    }
}

/// A ``LookupKey`` with its hash computed once: the coalescing table and the cache look the
/// same key up several times per lookup, and hashing the name's bytes each time showed in
/// profiles. Equality still compares the whole key. `route` (``Route/id``) keeps the answers
/// of different routes apart: the same name may differ behind a VPN's server and the public one.
struct HashedKey: Hashable, Sendable {
    let key: LookupKey
    let route: UInt32
    private let hash: Int

    init(_ key: LookupKey, route: UInt32 = 0) {
        self.key = key
        self.route = route
        self.hash = route == 0 ? key.hashValue : key.hashValue ^ Int(route).hashValue
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    static func == (lhs: HashedKey, rhs: HashedKey) -> Bool {
        lhs.hash == rhs.hash && lhs.route == rhs.route && lhs.key == rhs.key
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
        }
    }
}
