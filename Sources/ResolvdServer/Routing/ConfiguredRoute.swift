import ResolverCore

/// A routing domain and its servers as configured (`route = DOMAIN SERVER…`, `--route
/// DOMAIN=SERVER,…`): settings only, parsed once. ``RouteSet`` turns them into resolvers.
public struct ConfiguredRoute: Hashable, Sendable {
    /// Normalized (``RouteTable/normalized(_:)``): lower case, no trailing dot, `.` for the root.
    public var domain: String
    public var servers: [DNSServerAddress]

    public init(domain: String, servers: [DNSServerAddress]) {
        self.domain = domain
        self.servers = servers
    }

    /// Parses `DOMAIN SERVER [SERVER…]` (the file) or `DOMAIN=SERVER[,SERVER…]` (the flag).
    public init(parsing text: String) throws(ConfigurationError) {
        let separators: Set<UInt8> = [0x20, 0x09, UInt8(ascii: ","), UInt8(ascii: "=")]
        let fields = text.utf8.split(whereSeparator: { separators.contains($0) }).map { String(Substring($0)) }
        guard fields.count >= 2 else { throw ConfigurationError("'\(text)' is not DOMAIN SERVER [SERVER…]") }
        guard let domain = RouteTable.normalized(fields[0]) else {
            throw ConfigurationError("'\(fields[0])' is not a domain name")
        }
        var servers: [DNSServerAddress] = []
        for field in fields.dropFirst() {
            do {
                servers.append(try DNSServerAddress(parsing: field))
            } catch {
                throw ConfigurationError("\(field): \(error.message)")
            }
        }
        guard servers.count <= RouteSet.maxServersPerRoute else {
            throw ConfigurationError("at most \(RouteSet.maxServersPerRoute) servers per route")
        }
        self.init(domain: domain, servers: servers)
    }
}
