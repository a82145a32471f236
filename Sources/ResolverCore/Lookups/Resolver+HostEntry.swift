import CAres

#if canImport(Glibc)
import Glibc
#endif

extension Resolver {
    /// WSAAsyncGetHostByName: a name to a hostent (name, aliases, family, addresses).
    ///
    /// `family` is `.inet` by default, as Winsock's call is IPv4-only; `.inet6` asks for
    /// IPv6; `.unspecified` gives IPv4 addresses when there are any, else IPv6 (a hostent
    /// holds one family). The hosts file comes before DNS. A result that does not fit a
    /// Windows x64 hostent buffer of `bufferLength` bytes fails with WSAENOBUFS and the
    /// length it needs (``ResolverError/requiredBufferLength``).
    @discardableResult
    public func hostByName(
        _ name: String,
        family: AddressFamily = .inet,
        bufferLength: Int = WindowsBufferLayout.defaultBufferLength,
        owner: LookupOwner = .shared,
        timeout: Duration? = nil,
        completion: @escaping @Sendable (Result<HostEntry, ResolverError>) -> Void
    ) -> LookupHandle {
        let finish: @Sendable (HostEntry) -> Result<HostEntry, ResolverError> = { entry in
            Self.fitting(entry, bufferLength: bufferLength)
        }
        if let answer = Self.literalHostEntry(name, family: family, bufferLength: bufferLength) {
            return start(owner: owner, timeout: timeout, work: { lookup, _ in lookup.finish(answer) }, completion: completion)
        }
        if let problem = DNSName.validationError(name) {
            return startFailed(.invalidArgument("bad name: \(problem)"), owner: owner, completion: completion)
        }
        if let answer = Self.hostsHostEntry(name, family: family, bufferLength: bufferLength, hosts: databases.hosts) {
            return start(owner: owner, timeout: timeout, work: { lookup, _ in lookup.finish(answer) }, completion: completion)
        }
        return start(owner: owner, timeout: timeout, work: { lookup, loop in
            loop.addressInfo(name: name, family: family.cFamily) { status, result in
                guard lookup.isPending else { return }
                guard status == ARES_SUCCESS, let result else {
                    lookup.finish(.failure(.fromAres(status, name: name)))
                    return
                }
                let chain = AresAddressInfo(result)
                let aliases = chain.aliases.filter { $0 != chain.canonicalName }
                let entry = Self.hostEntry(name: chain.canonicalName ?? name, aliases: aliases, found: chain.found, family: family)
                lookup.finish(entry.map(finish) ?? .failure(ResolverError(code: .noData, message: "\(name): no address")))
            }
        }, completion: completion)
    }

    /// WSAAsyncGetHostByAddr: an address to a hostent, from the hosts file or a PTR query.
    @discardableResult
    public func hostByAddress(
        _ address: String,
        bufferLength: Int = WindowsBufferLayout.defaultBufferLength,
        owner: LookupOwner = .shared,
        timeout: Duration? = nil,
        completion: @escaping @Sendable (Result<HostEntry, ResolverError>) -> Void
    ) -> LookupHandle {
        guard let ip = IPAddress(parsing: address) else {
            return startFailed(.invalidArgument("'\(address)' is not an IP address"), owner: owner, completion: completion)
        }
        if let answer = Self.hostsHostEntry(address: ip, text: address, bufferLength: bufferLength, hosts: databases.hosts) {
            return start(owner: owner, timeout: timeout, work: { lookup, _ in lookup.finish(answer) }, completion: completion)
        }
        return start(owner: owner, timeout: timeout, work: { lookup, loop in
            loop.hostByAddress(ip) { status, host in
                guard lookup.isPending else { return }
                guard status == ARES_SUCCESS, let host, let name = host.pointee.h_name else {
                    lookup.finish(.failure(.fromAresReverse(status, address: address)))
                    return
                }
                var aliases: [String] = []
                if var cursor = host.pointee.h_aliases {
                    while let alias = cursor.pointee {
                        aliases.append(String(cString: alias))
                        cursor += 1
                    }
                }
                let entry = HostEntry(name: String(cString: name), aliases: aliases, family: ip.family, addresses: [ip.text])
                lookup.finish(Self.fitting(entry, bufferLength: bufferLength))
            }
        }, completion: completion)
    }

    /// A hostent holds one family: pick it, or nil when there is no address of it.
    static func hostEntry(name: String, aliases: [String], found: [AddressInfoPlan.Found], family: AddressFamily) -> HostEntry? {
        var seen = Set<String>()  // canonical texts (``AddressInfoPlan/Found``)
        let unique = found.filter { seen.insert($0.text).inserted }
        let chosenFamily: AddressFamily =
            family != .unspecified ? family : (unique.contains { $0.family == .inet } ? .inet : .inet6)
        let chosen = unique.filter { $0.family == chosenFamily }
        guard !chosen.isEmpty else { return nil }
        return HostEntry(
            name: name, aliases: aliases, family: chosenFamily, addresses: chosen.map(\.text),
            ttl: chosen.map(\.ttl).min())
    }

    static func fitting(_ entry: HostEntry, bufferLength: Int) -> Result<HostEntry, ResolverError> {
        let required = WindowsBufferLayout.requiredLength(for: entry)
        if let error = WindowsBufferLayout.check(required, bufferLength: bufferLength) { return .failure(error) }
        return .success(entry)
    }
}
