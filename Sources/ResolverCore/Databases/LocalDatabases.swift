import CAres

#if canImport(Glibc)
import Glibc
#endif

/// What the resolver answers without DNS, read once (at start and on reload), never
/// per lookup: the hosts, services and protocols files, which address families this
/// host has configured (for getaddrinfo's addrconfig), and the local domain that
/// getnameinfo's noFQDN strips.
struct LocalDatabases: Sendable {
    var hosts: HostsDatabase
    var services: ServicesDatabase
    var protocols: ProtocolsDatabase
    var configuredFamilies: ConfiguredFamilies
    var localDomain: String?

    init(configuration: ResolverConfiguration) throws(ResolverError) {
        hosts = try configuration.hostsFile.map { path throws(ResolverError) in try HostsDatabase(contentsOf: path) } ?? .empty
        services = try ServicesDatabase(contentsOf: configuration.servicesFile)
        protocols = try ProtocolsDatabase(contentsOf: configuration.protocolsFile)
        configuredFamilies = ConfiguredFamilies.current()
        localDomain = configuration.localDomain ?? Self.hostDomain()
    }

    /// The domain part of gethostname(), as glibc and c-ares use for NI_NOFQDN.
    private static func hostDomain() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = String(cString: buffer)
        guard let dot = name.firstIndex(of: "."), name.index(after: dot) < name.endIndex else { return nil }
        return String(name[name.index(after: dot)...])
    }
}

/// Which families have a non-loopback address on this host (getaddrinfo's AI_ADDRCONFIG
/// rule, as glibc applies it: loopback addresses do not count).
struct ConfiguredFamilies: Hashable, Sendable {
    var inet: Bool
    var inet6: Bool

    static func current() -> ConfiguredFamilies {
        var result = ConfiguredFamilies(inet: false, inet6: false)
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return ConfiguredFamilies(inet: true, inet6: true) }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { IPAddress(in4: $0.pointee.sin_addr) }
                if !ip.isLoopback { result.inet = true }
            case AF_INET6:
                let ip = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { IPAddress(in6: $0.pointee.sin6_addr) }
                if !ip.isLoopback { result.inet6 = true }
            default:
                continue
            }
        }
        return result
    }
}
