import CAres

/// How a lookup of the GetAddrInfoEx/DnsQueryEx/WSAAsync families is answered: from the
/// resolver's memory at once (an IP literal, a hosts-file name or address, bad input), or
/// from DNS questions, asked a round at a time (a round per name of the search list; the
/// A and AAAA questions of one name at once), each round's outcomes turned into the answer
/// by ``LookupRecipe/decide`` — or into "ask the next round".
///
/// The recipes are pure: they ask nothing and keep nothing. They do not check names: a
/// question with a bad name fails with WSAEINVAL when asked (``Resolver/ask(_:owner:completion:)``),
/// never before the cache has been consulted (a cached answer's name is a good one). The daemon's lookup service
/// answers the questions (from its cache, a question already in flight, or ``Resolver/ask``)
/// and feeds the outcomes back; the engine's own lookups (``Resolver/addressInfo(_:owner:completion:)``
/// and its siblings) keep c-ares' combined calls.
public enum LookupPlan<Value: Sendable>: Sendable {
    case local(Result<Value, ResolverError>)
    case questions(LookupRecipe<Value>)
}

public struct LookupRecipe<Value: Sendable>: Sendable {
    /// The questions of each round, asked one round at a time.
    public let rounds: QuestionRounds
    /// The answer from one round's outcomes (in the round's order), or nil for "no such
    /// name or no data: ask the next round".
    public let decide: @Sendable ([QuestionOutcome]) -> Result<Value, ResolverError>?
    /// The name looked up, for the error when every round said "ask the next".
    public let name: String

    /// One closure per recipe, not two: a lookup waiting for its questions keeps its recipe,
    /// and each closure's context is an allocation (docs/performance.md, row 7d).
    public init(rounds: QuestionRounds, name: String, decide: @escaping @Sendable ([QuestionOutcome]) -> Result<Value, ResolverError>?) {
        self.rounds = rounds
        self.name = name
        self.decide = decide
    }

    /// The answer when every round said "ask the next": ENODATA when one of them had the
    /// name but no record of the type, else ENOTFOUND (c-ares' getaddrinfo). Only the
    /// search-list recipes get here: a recipe of one round always decides.
    public func exhausted(_ sawNoData: Bool) -> ResolverError {
        .fromAres(sawNoData ? ARES_ENODATA : ARES_ENOTFOUND, name: name)
    }

    /// The recipe with its answer mapped.
    public func map<Other: Sendable>(_ transform: @escaping @Sendable (Value) -> Other) -> LookupRecipe<Other> {
        let decide = self.decide
        return LookupRecipe<Other>(rounds: rounds, name: name) { decide($0)?.map(transform) }
    }
}

extension LookupPlan {
    public func map<Other: Sendable>(_ transform: @escaping @Sendable (Value) -> Other) -> LookupPlan<Other> {
        switch self {
        case .local(let result): .local(result.map(transform))
        case .questions(let recipe): .questions(recipe.map(transform))
        }
    }
}

extension Resolver {
    /// getaddrinfo: literals and hosts-file names answered at once; else the A and/or AAAA
    /// questions of each search-list name, until one has addresses.
    public func addressInfoPlan(_ request: AddressInfoRequest) -> LookupPlan<AddressInfo> { addressInfoPlan(request, as: { $0 }) }

    /// The same, its answer wrapped by `wrap` inside the recipe's one closure (the daemon's
    /// plans: no second closure per lookup as ``LookupPlan/map(_:)`` would make).
    public func addressInfoPlan<Value: Sendable>(_ request: AddressInfoRequest, as wrap: @escaping @Sendable (AddressInfo) -> Value) -> LookupPlan<Value> {
        let databases = self.databases
        let plan: AddressInfoPlan
        do {
            plan = try AddressInfoPlan(request, databases: databases)
        } catch {
            return .local(.failure(error))
        }
        if let local = plan.literalAnswer() ?? plan.hostsAnswer(databases.hosts) { return .local(local.map(wrap)) }
        return .questions(LookupRecipe(rounds: addressQuestions(for: request.name, family: plan.queryFamily), name: request.name) { outcomes in
            let (found, canonical, failure) = Self.addresses(in: outcomes)
            if !found.isEmpty { return plan.answer(found: found, canonicalName: canonical).map(wrap) }
            return failure.map { .failure($0) }
        })
    }

    /// gethostbyname: as getaddrinfo, into a hostent of one family.
    public func hostByNamePlan(_ name: String, family: AddressFamily, bufferLength: Int) -> LookupPlan<HostEntry> {
        hostByNamePlan(name, family: family, bufferLength: bufferLength, as: { $0 })
    }

    public func hostByNamePlan<Value: Sendable>(
        _ name: String, family: AddressFamily, bufferLength: Int, as wrap: @escaping @Sendable (HostEntry) -> Value
    ) -> LookupPlan<Value> {
        if let local = Self.literalHostEntry(name, family: family, bufferLength: bufferLength)
            ?? Self.hostsHostEntry(name, family: family, bufferLength: bufferLength, hosts: databases.hosts) {
            return .local(local.map(wrap))
        }
        return .questions(LookupRecipe(rounds: addressQuestions(for: name, family: family), name: name) { outcomes in
            let (found, canonical, failure) = Self.addresses(in: outcomes)
            guard !found.isEmpty else { return failure.map { .failure($0) } }
            var aliases: [String] = []
            for alias in outcomes.flatMap(\.aliases) where alias != canonical && !aliases.contains(alias) { aliases.append(alias) }
            let entry = Self.hostEntry(name: canonical ?? name, aliases: aliases, found: found, family: family)
            return (entry.map { Self.fitting($0, bufferLength: bufferLength) } ?? .failure(ResolverError(code: .noData, message: "\(name): no address"))).map(wrap)
        })
    }

    /// getnameinfo: numeric and hosts-file answers at once; else the address's PTR question.
    public func nameInfoPlan(_ request: NameInfoRequest) -> LookupPlan<NameInfo> { nameInfoPlan(request, as: { $0 }) }

    public func nameInfoPlan<Value: Sendable>(_ request: NameInfoRequest, as wrap: @escaping @Sendable (NameInfo) -> Value) -> LookupPlan<Value> {
        guard let address = IPAddress(parsing: request.address) else {
            return .local(.failure(.invalidArgument("'\(request.address)' is not an IP address")))
        }
        let (numeric, shorten, hosts) = Self.nameInfoParts(request, address: address, databases: databases)
        if request.flags.contains(.numericHost) { return .local(.success(wrap(numeric))) }
        if let hosts { return .local(.success(wrap(hosts))) }
        let service = numeric.service
        let flags = request.flags
        return .questions(Self.reverseRecipe(address, text: request.address) { result in
            switch result {
            case .success(let names): return .success(wrap(NameInfo(host: shorten(names.name), service: service)))
            case .failure(let error):
                if flags.contains(.nameRequired) || error.code == .tryAgain || error.code == .notEnoughMemory { return .failure(error) }
                return .success(wrap(numeric))
            }
        })
    }

    /// gethostbyaddr: the hosts file at once; else the address's PTR question.
    public func hostByAddressPlan(_ address: String, bufferLength: Int) -> LookupPlan<HostEntry> {
        hostByAddressPlan(address, bufferLength: bufferLength, as: { $0 })
    }

    public func hostByAddressPlan<Value: Sendable>(
        _ address: String, bufferLength: Int, as wrap: @escaping @Sendable (HostEntry) -> Value
    ) -> LookupPlan<Value> {
        guard let ip = IPAddress(parsing: address) else {
            return .local(.failure(.invalidArgument("'\(address)' is not an IP address")))
        }
        if let local = Self.hostsHostEntry(address: ip, text: address, bufferLength: bufferLength, hosts: databases.hosts) {
            return .local(local.map(wrap))
        }
        return .questions(Self.reverseRecipe(ip, text: address) { result in
            result.flatMap { names in
                Self.fitting(HostEntry(name: names.name, aliases: names.aliases, family: ip.family, addresses: [ip.text]), bufferLength: bufferLength)
            }.map(wrap)
        })
    }

    /// DnsQueryEx: one question, no search list; the records of the name and its CNAME chain.
    public func queryPlan(_ name: String, type: DNSRecordType) -> LookupPlan<QueryAnswer> { queryPlan(name, type: type, as: { $0 }) }

    public func queryPlan<Value: Sendable>(_ name: String, type: DNSRecordType, as wrap: @escaping @Sendable (QueryAnswer) -> Value) -> LookupPlan<Value> {
        .questions(LookupRecipe(rounds: QuestionRounds(name, type: type.number), name: name) { outcomes in
            switch outcomes[0] {
            case .records(let chain, let records): return .success(wrap(QueryAnswer(records: chain + records)))
            case .nameError(_, let soa): return .failure(Self.negative(ARES_ENOTFOUND, name: name, soa: soa))
            case .noData(_, let soa): return .failure(Self.negative(ARES_ENODATA, name: name, soa: soa))
            case .failure(let error), .malformed(let error): return .failure(error)
            case .passedThrough: return .failure(Self.passedThroughToAnOp(name))
            }
        })
    }

    // MARK: - Shared parts

    private func addressQuestions(for name: String, family: AddressFamily) -> QuestionRounds {
        let (type, secondType): (UInt16, UInt16?) = switch family {
        case .inet: (DNSQuestion.a, nil)
        case .inet6: (DNSQuestion.aaaa, nil)
        case .unspecified: (DNSQuestion.a, DNSQuestion.aaaa)
        }
        // Without a search list a name is only itself: one round, and no arrays made for it.
        if configuration.searchDomains.isEmpty, name.utf8.last != UInt8(ascii: ".") {
            return QuestionRounds(name, type: type, secondType: secondType)
        }
        let names = searchNames(for: name)
        return QuestionRounds(names: names, types: secondType.map { [type, $0] } ?? [type])
    }

    /// The addresses of one round (TTLs lowered to the chain's smallest), the canonical name,
    /// and the first failure — which counts only when no question found an address, as in
    /// c-ares' getaddrinfo.
    private static func addresses(in outcomes: [QuestionOutcome]) -> ([AddressInfoPlan.Found], String?, ResolverError?) {
        var found: [AddressInfoPlan.Found] = []
        var canonical: String?
        var failure: ResolverError?
        var records = 0
        for case .records(_, let list) in outcomes { records += list.count }
        found.reserveCapacity(records)
        for outcome in outcomes {
            switch outcome {
            case .records(_, let records):
                let chainTTL = outcome.chainTTL ?? .max
                for record in records {
                    // The parser writes an address's text as IPAddress.text does (inet_ntop's form).
                    switch record.data {
                    case .a(let text): found.append(.init(family: .inet, text: text, ttl: min(record.ttl, chainTTL)))
                    case .aaaa(let text): found.append(.init(family: .inet6, text: text, ttl: min(record.ttl, chainTTL)))
                    default: continue
                    }
                }
                canonical = canonical ?? outcome.canonicalName
            case .failure(let error):
                failure = failure ?? error
            case .malformed(let error):
                failure = failure ?? error.asReadByCAres
            case .nameError, .noData:
                break
            case .passedThrough:
                failure = failure ?? Self.passedThroughToAnOp("")
            }
        }
        return (found, canonical, failure)
    }

    /// The PTR question of `address` and what c-ares' `ares_parse_ptr_reply` makes of its
    /// answer: the name is the last PTR record's target and the aliases are every target
    /// (that one included); no PTR record is ENODATA, no such name ENOTFOUND, mapped for a
    /// reverse lookup (``ResolverError/fromAresReverse(_:address:)``).
    private static func reverseRecipe<Value: Sendable>(
        _ address: IPAddress, text: String,
        _ finish: @escaping @Sendable (Result<(name: String, aliases: [String]), ResolverError>) -> Result<Value, ResolverError>
    ) -> LookupRecipe<Value> {
        LookupRecipe(rounds: QuestionRounds(address.reverseName, type: DNSQuestion.ptr), name: text) { outcomes in
            switch outcomes[0] {
            case .records(_, let records):
                let targets = records.compactMap { record -> String? in
                    if case .ptr(let target) = record.data { return target }
                    return nil
                }
                guard let last = targets.last else { return finish(.failure(.fromAresReverse(ARES_ENODATA, address: text))) }
                return finish(.success((last, targets)))
            case .nameError: return finish(.failure(.fromAresReverse(ARES_ENOTFOUND, address: text)))
            case .noData: return finish(.failure(.fromAresReverse(ARES_ENODATA, address: text)))
            case .failure(let error): return finish(.failure(error))
            case .malformed(let error): return finish(.failure(error.asReadByCAres))
            case .passedThrough: return finish(.failure(Self.passedThroughToAnOp(text)))
            }
        }
    }

    /// Cannot happen: an op's questions carry no DNSSEC bits, and only those are passed
    /// through (``QuestionOutcome/passedThrough(rcode:answer:authority:)``).
    private static func passedThroughToAnOp(_ name: String) -> ResolverError {
        ResolverError(code: .noRecovery, message: "\(name): a DNSSEC question's reply reached an op")
    }

    /// NXDOMAIN or NODATA, with the zone's negative TTL for the caller's records.
    private static func negative(_ status: Int32, name: String, soa: DNSRecord?) -> ResolverError {
        var error = ResolverError.fromAres(status, name: name)
        if let soa, case .soa(_, _, _, _, _, _, let minimum) = soa.data { error.negativeTTL = min(soa.ttl, minimum) }
        return error
    }
}

extension ResolverError {
    /// A malformed reply as the ops that c-ares' own parsers read reported it: ARES_EBADRESP,
    /// WSATRY_AGAIN (docs/error-codes.md).
    var asReadByCAres: ResolverError {
        ResolverError(code: .tryAgain, message: message)
    }
}
