/// The parts of an answer that need no DNS, written once for the engine's own lookups
/// (``Resolver/addressInfo(_:owner:completion:)`` and its siblings) and for the daemon's
/// plans (``LookupPlan``): literals and the hosts file, each nil when it does not answer.
extension AddressInfoPlan {
    /// The hosts file's answer for the request's name, or nil when it does not have it.
    func hostsAnswer(_ hosts: HostsDatabase) -> Result<AddressInfo, ResolverError>? {
        guard let match = hosts.addresses(for: request.name, family: queryFamily), !match.addresses.isEmpty else { return nil }
        let found = match.addresses.map { Found(family: $0.family, text: $0.text, ttl: 0) }
        return answer(found: found, canonicalName: match.canonicalName)
    }
}

extension Resolver {
    /// gethostbyname of an IP literal: itself, of its family; nil when `name` is no literal.
    static func literalHostEntry(_ name: String, family: AddressFamily, bufferLength: Int) -> Result<HostEntry, ResolverError>? {
        guard let literal = IPAddress(parsing: name) else { return nil }
        guard family == .unspecified || family == literal.family else {
            return .failure(ResolverError(code: .hostNotFound, message: "'\(name)' is not an address of the family asked"))
        }
        return fitting(HostEntry(name: literal.text, aliases: [], family: literal.family, addresses: [literal.text], ttl: 0), bufferLength: bufferLength)
    }

    /// gethostbyname from the hosts file, or nil when it does not have the name.
    static func hostsHostEntry(_ name: String, family: AddressFamily, bufferLength: Int, hosts: HostsDatabase) -> Result<HostEntry, ResolverError>? {
        guard let match = hosts.addresses(for: name, family: family), !match.addresses.isEmpty else { return nil }
        let found = match.addresses.map { AddressInfoPlan.Found(family: $0.family, text: $0.text, ttl: 0) }
        let entry = hostEntry(name: match.canonicalName, aliases: match.aliases, found: found, family: family)
        return entry.map { fitting($0, bufferLength: bufferLength) } ?? .failure(ResolverError(code: .noData, message: "\(name): no address"))
    }

    /// gethostbyaddr from the hosts file, or nil when it does not have the address.
    static func hostsHostEntry(address ip: IPAddress, text: String, bufferLength: Int, hosts: HostsDatabase) -> Result<HostEntry, ResolverError>? {
        guard let local = hosts.names(for: text) else { return nil }
        return fitting(HostEntry(name: local.name, aliases: local.aliases, family: ip.family, addresses: [ip.text]), bufferLength: bufferLength)
    }

    /// What getnameinfo needs before any PTR question: the address as text with the service
    /// (its answer without a name), how a name is shortened (`noFQDN`), and the hosts file's
    /// answer if it has the address (not looked up for `numerichost`).
    static func nameInfoParts(
        _ request: NameInfoRequest, address: IPAddress, databases: LocalDatabases
    ) -> (numeric: NameInfo, shorten: @Sendable (String) -> String, hosts: NameInfo?) {
        let service = serviceName(port: request.port, flags: request.flags, services: databases.services)
        let flags = request.flags
        let localDomain = databases.localDomain
        let shorten: @Sendable (String) -> String = { name in stripLocalDomain(name, flags: flags, localDomain: localDomain) }
        // `numerichost` never consults the hosts file.
        let hosts = flags.contains(.numericHost)
            ? nil : databases.hosts.names(for: request.address).map { NameInfo(host: shorten($0.name), service: service) }
        return (NameInfo(host: address.text, service: service), shorten, hosts)
    }
}
