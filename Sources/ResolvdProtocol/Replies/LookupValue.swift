import ResolverTypes

/// A lookup's answer, whatever its op: the `result` of a successful lookup reply, typed.
///
/// The daemon writes it (``LookupReplyLine``), the client reads it back
/// (``init(json:operation:)``). What the daemon's cache needs to know about it (TTLs, size)
/// is the daemon's.
public enum LookupValue: Hashable, Sendable {
    case addressInfo(AddressInfo)
    case nameInfo(NameInfo)
    case query(QueryAnswer)
    case host(HostEntry)
    case service(ServiceEntry)
    case protocolEntry(ProtocolEntry)
    /// The daemon's: an expired cache entry served because the upstreams failed or were
    /// slow (serve-stale, docs/cache.md), its TTLs 30 s. Written as the inner value's
    /// result with `"stale":true` first; a client reads it back as the inner value.
    indirect case stale(LookupValue)
}
