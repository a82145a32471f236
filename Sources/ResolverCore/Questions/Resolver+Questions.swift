extension Resolver {
    /// One DNS question to the upstreams — no search list, no hosts file, no timeout of its
    /// own (c-ares' tries bound it; a caller's deadline is the caller's) — and what its reply
    /// says (``QuestionOutcome``), worked out on the channel thread: records, "no such name",
    /// "no data" (NOERROR without records of the type, also when only other names' records
    /// came), a failure for everything else (SERVFAIL, REFUSED, no reply: mapped as
    /// ``ResolverError/fromAres(_:name:)`` documents) or a malformed reply.
    ///
    /// The daemon's lookups are made of these: its cache holds their answers by question
    /// (docs/cache.md). Cancelled with ``cancel(_:)`` like any lookup (the `Result`'s failure).
    @discardableResult
    ///
    /// - Parameter channelHint: questions with the same hint go to the same channel (one op's
    ///   A and AAAA: one thread woken, not two); nil spreads them round-robin.
    public func ask(
        _ question: DNSQuestion, owner: LookupOwner = .shared, channelHint: Int? = nil,
        completion: @escaping @Sendable (Result<QuestionOutcome, ResolverError>) -> Void
    ) -> LookupHandle {
        if let problem = DNSName.validationError(question.name) {
            return start(owner: owner, timeout: nil, work: { lookup, _ in
                lookup.finish(.success(.failure(.invalidArgument("bad name: \(problem)"))))
            }, completion: completion)
        }
        let lookup = QuestionLookup(question, handle: registry.issueHandle(), owner: owner, registry: registry, answering: .completion(completion))
        submit(lookup, channelHint: channelHint)
        return lookup.handle
    }

    /// The same, its outcome told to `listener` with `context` rather than to a closure: a
    /// closure over a caller's state is an allocation per question, which the daemon's
    /// lookup service, asking every upstream question, spares this way.
    @discardableResult
    public func ask(
        _ question: DNSQuestion, owner: LookupOwner = .shared, channelHint: Int? = nil, listener: any QuestionListener, context: AnyObject & Sendable
    ) -> LookupHandle {
        if DNSName.validationError(question.name) != nil {
            return ask(question, owner: owner, channelHint: channelHint) { [listener, context] result in listener.question(context, finished: result) }
        }
        let lookup = QuestionLookup(
            question, handle: registry.issueHandle(), owner: owner, registry: registry, answering: .listener(listener, context: context))
        submit(lookup, channelHint: channelHint)
        return lookup.handle
    }

    /// The names a search list makes of `name`, in the order they are asked — what c-ares'
    /// `ares_getaddrinfo` does with resolv.conf's `search` and `ndots`: a name ending in a dot
    /// is only itself; one with at least `ndots` dots is itself first, then with each search
    /// domain; one with fewer dots is with each search domain first, itself last.
    public func searchNames(for name: String) -> [String] {
        Self.searchNames(for: name, domains: configuration.searchDomains, ndots: configuration.ndots)
    }

    static func searchNames(for name: String, domains: [String], ndots: Int) -> [String] {
        if name.utf8.last == UInt8(ascii: ".") { return [String(name.dropLast())] }
        guard !domains.isEmpty else { return [name] }
        let expanded = domains.map { domain in
            domain.hasSuffix(".") ? name + "." + domain.dropLast() : name + "." + domain
        }
        let dots = name.utf8.count { $0 == UInt8(ascii: ".") }
        return dots >= ndots ? [name] + expanded : expanded + [name]
    }
}

/// Who hears the outcomes of questions asked with
/// ``Resolver/ask(_:owner:channelHint:listener:context:)``: one object for many questions,
/// each told apart by the `context` it was asked with. It is called once per question, as a
/// completion would be, and does not choose a thread: a channel thread's, or the caller's
/// for a question that fails before it starts.
public protocol QuestionListener: AnyObject, Sendable {
    func question(_ context: AnyObject & Sendable, finished result: Result<QuestionOutcome, ResolverError>)
}
