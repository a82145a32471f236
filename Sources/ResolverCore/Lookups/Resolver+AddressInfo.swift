import CAres

#if canImport(Glibc)
import Glibc
#endif

extension Resolver {
    /// GetAddrInfoEx: starts a getaddrinfo lookup and returns its handle at once.
    ///
    /// IP literals and hosts-file names are answered without DNS (still through the
    /// loop, so the handle comes first and the completion after). Bad input completes
    /// with WSAEINVAL, an unknown service with WSATYPE_NOT_FOUND, conflicting hints
    /// with WSAESOCKTNOSUPPORT.
    @discardableResult
    public func addressInfo(
        _ request: AddressInfoRequest,
        owner: LookupOwner = .shared,
        completion: @escaping @Sendable (Result<AddressInfo, ResolverError>) -> Void
    ) -> LookupHandle {
        let databases = self.databases  // one locked copy per lookup, not one per use
        let plan: AddressInfoPlan
        do {
            plan = try AddressInfoPlan(request, databases: databases)
        } catch {
            return startFailed(error, owner: owner, completion: completion)
        }
        if let literal = plan.literalAnswer() {
            return start(owner: owner, timeout: request.timeout, work: { lookup, _ in lookup.finish(literal) }, completion: completion)
        }
        if let problem = DNSName.validationError(request.name) {
            return startFailed(.invalidArgument("bad name: \(problem)"), owner: owner, completion: completion)
        }
        if let answer = plan.hostsAnswer(databases.hosts) {
            return start(owner: owner, timeout: request.timeout, work: { lookup, _ in lookup.finish(answer) }, completion: completion)
        }
        let family = plan.queryFamily.cFamily
        return start(owner: owner, timeout: request.timeout, work: { lookup, loop in
            loop.addressInfo(name: request.name, family: family) { status, result in
                guard lookup.isPending else { return }  // cancelled or timed out: drop the late answer
                guard status == ARES_SUCCESS, let result else {
                    lookup.finish(.failure(.fromAres(status, name: request.name)))
                    return
                }
                let chain = AresAddressInfo(result)
                lookup.finish(plan.answer(found: chain.found, canonicalName: chain.canonicalName))
            }
        }, completion: completion)
    }
}

extension AddressFamily {
    var cFamily: Int32 {
        switch self {
        case .unspecified: AF_UNSPEC
        case .inet: AF_INET
        case .inet6: AF_INET6
        }
    }
}

/// What resolvd takes from c-ares' `ares_addrinfo`: the addresses with TTLs (lowered to
/// the smallest CNAME TTL on the way) and the canonical name. The CNAME list c-ares 1.18
/// builds for AF_UNSPEC holds each CNAME twice (once per A and AAAA answer); it is
/// reduced to unique aliases here.
struct AresAddressInfo {
    var found: [AddressInfoPlan.Found] = []
    var canonicalName: String?
    var aliases: [String] = []

    init(_ result: UnsafeMutablePointer<ares_addrinfo>) {
        var cnameTTL = UInt32.max
        var targets: [String] = []
        var cname = result.pointee.cnames
        while let entry = cname {
            cnameTTL = min(cnameTTL, UInt32(clamping: entry.pointee.ttl))
            if let alias = entry.pointee.alias.map({ String(cString: $0) }), !aliases.contains(alias) { aliases.append(alias) }
            if let target = entry.pointee.name.map({ String(cString: $0) }), !targets.contains(target) { targets.append(target) }
            cname = entry.pointee.next
        }
        // The canonical name is the CNAME target that is not itself an alias.
        canonicalName = targets.first { !aliases.contains($0) } ?? result.pointee.name.map { String(cString: $0) }
        var node = result.pointee.nodes
        while let entry = node {
            defer { node = entry.pointee.ai_next }
            guard let address = entry.pointee.ai_addr else { continue }
            let ttl = min(UInt32(clamping: entry.pointee.ai_ttl), cnameTTL)
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPAddress(in4: $0.pointee.sin_addr) }
                found.append(.init(address: ip, ttl: ttl))
            case AF_INET6:
                let ip = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { IPAddress(in6: $0.pointee.sin6_addr) }
                found.append(.init(address: ip, ttl: ttl))
            default:
                continue
            }
        }
    }
}
