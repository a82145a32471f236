import CAres

#if canImport(Glibc)
import Glibc
#endif

/// What the resolver answers without DNS, read once (at start and on reload), never
/// per lookup: the hosts, services and protocols files, which address families this
/// host has configured (for getaddrinfo's addrconfig), and the local domain that
/// getnameinfo's noFQDN strips.
///
/// A class with constant properties: a lookup takes the current one with a single
/// retain, and a reload replaces it whole.
final class LocalDatabases: Sendable {
    let hosts: HostsDatabase
    let services: ServicesDatabase
    let protocols: ProtocolsDatabase
    let configuredFamilies: ConfiguredFamilies
    let localDomain: String?
    /// The files' modification times when read, to notice edits without re-reading.
    let fileStamps: [FileStamp]

    init(configuration: ResolverConfiguration) throws(ResolverError) {
        fileStamps = Self.stamps(configuration)
        hosts = try configuration.hostsFile.map { path throws(ResolverError) in try HostsDatabase(contentsOf: path) } ?? .empty
        services = try ServicesDatabase(contentsOf: configuration.servicesFile)
        protocols = try ProtocolsDatabase(contentsOf: configuration.protocolsFile)
        configuredFamilies = ConfiguredFamilies.current()
        localDomain = configuration.localDomain ?? Self.hostDomain()
    }

    static func stamps(_ configuration: ResolverConfiguration) -> [FileStamp] {
        ([configuration.hostsFile].compactMap { $0 } + [configuration.servicesFile, configuration.protocolsFile]).map(FileStamp.init(path:))
    }

    /// The domain part of gethostname(), as glibc and c-ares use for NI_NOFQDN.
    private static func hostDomain() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
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

/// A file's identity and modification time (nanoseconds), or nil fields when it cannot be stat()ed.
struct FileStamp: Hashable, Sendable {
    var path: String
    var inode: UInt64?
    var modified: Int64?

    init(path: String) {
        self.path = path
        var info = stat()
        if stat(path, &info) == 0 {
            inode = UInt64(info.st_ino)
            modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        }
    }
}
