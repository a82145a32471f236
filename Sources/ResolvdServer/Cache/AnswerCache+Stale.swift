import ResolvdProtocol

/// Serve-stale's view of an answer (docs/cache.md, "Serve-stale").
extension LookupValue {
    /// The same answer with every TTL set to `ttl` (a stale answer's, RFC 8767 §4).
    func withTTL(_ ttl: UInt32) -> LookupValue {
        switch self {
        case .addressInfo(var info):
            for index in info.addresses.indices { info.addresses[index].ttl = ttl }
            return .addressInfo(info)
        case .query(var answer):
            for index in answer.records.indices { answer.records[index].ttl = ttl }
            return .query(answer)
        case .host(var entry):
            if entry.ttl != nil { entry.ttl = ttl }
            return .host(entry)
        default:
            return self
        }
    }
}
