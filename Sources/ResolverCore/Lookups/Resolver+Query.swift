import CAres

extension Resolver {
    /// DnsQueryEx: one question of `type` for `name` (no search list, as DnsQuery), its
    /// answer parsed into typed records with TTLs.
    ///
    /// NXDOMAIN completes with WSAHOST_NOT_FOUND, an empty answer with WSANO_DATA. Only the
    /// records of `name` and its CNAME chain are returned (``DNSMessage/answers(chainedFrom:)``).
    @discardableResult
    public func query(
        _ name: String,
        type: DNSRecordType,
        owner: LookupOwner = .shared,
        timeout: Duration? = nil,
        completion: @escaping @Sendable (Result<QueryAnswer, ResolverError>) -> Void
    ) -> LookupHandle {
        if let problem = DNSName.validationError(name) {
            return startFailed(.invalidArgument("bad name: \(problem)"), owner: owner, completion: completion)
        }
        return start(owner: owner, timeout: timeout, work: { lookup, loop in
            loop.query(name: name, type: type.number) { status, answer in
                guard lookup.isPending else { return }
                guard status == ARES_SUCCESS else {
                    var error = ResolverError.fromAres(status, name: name)
                    // A negative answer still carries the zone's SOA: keep its TTL for caches.
                    error.negativeTTL = (try? DNSMessage(parsing: answer))?.negativeTTL
                    lookup.finish(.failure(error))
                    return
                }
                do {
                    let message = try DNSMessage(parsing: answer)
                    let records = message.answers(chainedFrom: name)
                    guard !records.isEmpty || message.answers.isEmpty else {
                        // Only records for other names: nothing answers this one.
                        var error = ResolverError(code: .noData, message: "\(name): the answer holds no record for this name")
                        error.negativeTTL = message.negativeTTL
                        lookup.finish(.failure(error))
                        return
                    }
                    lookup.finish(.success(QueryAnswer(records: records, negativeTTL: message.negativeTTL)))
                } catch {
                    lookup.finish(.failure(ResolverError(code: .noRecovery, message: "\(name): malformed answer: \(error)")))
                }
            }
        }, completion: completion)
    }
}
