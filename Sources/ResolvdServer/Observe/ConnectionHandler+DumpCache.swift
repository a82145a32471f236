import NIOCore
import ResolvdProtocol
import ResolverCore

/// `dump_cache`: the answer cache's entries for an admin. It shows what every client
/// asked, so it is refused (10013) as the other admin ops are.
extension ConnectionHandler {
    func dumpCache(id: Int64, limit: Int) {
        guard requireAdmin(id: id, op: "dump_cache") else { return }
        writeLine(SuccessLine(id: id, result: server.lookups.dumpCache(limit: limit)))
    }
}

extension LookupService {
    /// Up to `limit` cache entries by question, most recently used first, and how many there are.
    func dumpCache(limit: Int) -> DumpCacheResult {
        let (entries, total) = withCache { cache in (cache.entries(limit: limit, now: MonotonicClock.milliseconds()), cache.count) }
        return DumpCacheResult(
            entries: entries.map { entry in
                let records: [DNSRecord] = switch entry.entry {
                case .records(let records): records
                case .nameError(let soa), .noData(let soa): soa.map { [$0] } ?? []
                }
                return DumpCacheResult.Entry(
                    operation: .query, question: entry.key.name, type: entry.key.typeName,
                    ttl: Int(entry.remaining), positive: entry.entry.isPositive, bytes: entry.bytes, records: records)
            },
            total: total)
    }
}
