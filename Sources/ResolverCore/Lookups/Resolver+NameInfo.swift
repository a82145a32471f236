import CAres

extension Resolver {
    /// GetNameInfoW, asynchronous: address and port to host and service names.
    ///
    /// The hosts file is consulted before a PTR query. Without ``NameInfoFlags/nameRequired``
    /// an address with no name comes back as text (as glibc does); a temporary failure
    /// (WSATRY_AGAIN) is reported either way. The service comes from the services
    /// database (tcp, or udp with ``NameInfoFlags/datagram``), else the port's digits.
    @discardableResult
    public func nameInfo(
        _ request: NameInfoRequest,
        owner: LookupOwner = .shared,
        completion: @escaping @Sendable (Result<NameInfo, ResolverError>) -> Void
    ) -> LookupHandle {
        guard let address = IPAddress(parsing: request.address) else {
            return startFailed(.invalidArgument("'\(request.address)' is not an IP address"), owner: owner, completion: completion)
        }
        let (numeric, shorten, hosts) = Self.nameInfoParts(request, address: address, databases: databases)
        let service = numeric.service
        if request.flags.contains(.numericHost) {
            return start(owner: owner, timeout: request.timeout, work: { lookup, _ in lookup.finish(.success(numeric)) }, completion: completion)
        }
        if let answer = hosts {
            return start(owner: owner, timeout: request.timeout, work: { lookup, _ in lookup.finish(.success(answer)) }, completion: completion)
        }
        return start(owner: owner, timeout: request.timeout, work: { lookup, loop in
            loop.hostByAddress(address) { status, host in
                guard lookup.isPending else { return }
                if status == ARES_SUCCESS, let name = host?.pointee.h_name {
                    lookup.finish(.success(NameInfo(host: shorten(String(cString: name)), service: service)))
                    return
                }
                let error = ResolverError.fromAresReverse(status, address: request.address)
                if request.flags.contains(.nameRequired) || error.code == .tryAgain || error.code == .notEnoughMemory {
                    lookup.finish(.failure(error))
                } else {
                    lookup.finish(.success(numeric))
                }
            }
        }, completion: completion)
    }

    static func serviceName(port: UInt16, flags: NameInfoFlags, services: ServicesDatabase) -> String {
        if flags.contains(.numericService) { return String(port) }
        let proto = flags.contains(.datagram) ? "udp" : "tcp"
        return services.service(port: port, proto: proto)?.name ?? String(port)
    }

    /// NI_NOFQDN as glibc and c-ares do it: names in the local domain lose that domain.
    static func stripLocalDomain(_ name: String, flags: NameInfoFlags, localDomain: String?) -> String {
        guard flags.contains(.noFQDN), let localDomain, !localDomain.isEmpty else { return name }
        let suffix = "." + localDomain.lowercased()
        let lower = name.lowercased()
        guard lower.hasSuffix(suffix), lower.count > suffix.count else { return name }
        return String(name.dropLast(suffix.count))
    }
}
