#if canImport(Glibc)
import Glibc
import NIOConcurrencyHelpers
import Testing
@testable import ResolverCore

/// Compares ``ServicesDatabase`` and ``ProtocolsDatabase`` with glibc's own answers for the
/// host's real /etc/services and /etc/protocols — the one suite that reads the host's files
/// on purpose, as its name says (every other test uses ``HermeticDatabases``).
///
/// glibc's getservby*/getprotoby* return pointers into static storage and are not thread-safe,
/// so every call happens under `glibcLock`, inside one test function each, and the suite is
/// serialized.
///
/// glibc must read the same files: nsswitch.conf on Debian says `services: db files`, and
/// without libnss-db the `db` source is unavailable, so glibc falls through to `files`, which
/// reads /etc/services. The enumeration test (getservent/getprotoent) proves it: if glibc read
/// anything else, the entry lists would differ.
@Suite(.serialized) struct HostServicesDatabaseDifferentialTests {
    static let glibcLock = NIOLock()
    static let servicesPath = "/etc/services"
    static let protocolsPath = "/etc/protocols"

    // MARK: services

    @Test func servicesEnumerationMatchesGetservent() throws {
        let database = try Self.loadServices()
        let glibc = Self.glibcServices()
        #expect(!glibc.isEmpty, "glibc enumerated no services: is nsswitch.conf pointing elsewhere?")
        #expect(database.entries == glibc)
    }

    /// Every question is drawn from glibc's own enumeration, never from the parser under
    /// test: an entry the parser lost or invented is still asked about.
    @Test func everyServiceNameAliasAndPortMatchesGlibc() throws {
        let database = try Self.loadServices()
        let reference = Self.glibcServices()
        #expect(reference.count > 100, "/etc/services looks truncated")
        let protocols = Set(reference.map(\.proto))
        var comparisons = 0

        Self.glibcLock.withLock {
            for entry in reference {
                for name in [entry.name] + entry.aliases {
                    for proto in [nil] + protocols.map(Optional.some) {
                        let glibc = Self.glibcService(named: name, proto: proto)
                        let ours = database.service(named: name, proto: proto)
                        #expect(ours == glibc, "getservbyname(\(name), \(proto ?? "NULL"))")
                        comparisons += 1
                    }
                }
                for proto in [nil] + protocols.map(Optional.some) {
                    let glibc = Self.glibcService(port: entry.port, proto: proto)
                    let ours = database.service(port: entry.port, proto: proto)
                    #expect(ours == glibc, "getservbyport(htons(\(entry.port)), \(proto ?? "NULL"))")
                    comparisons += 1
                }
            }

            // Not in the file, or differing only in case: nil on both sides.
            let absentNames = ["no-such-service-resolvd", "HTTP", "Ssh", "", "http ", "ssh/tcp"]
            for name in absentNames {
                for proto in [nil, "tcp", "udp", "sctp"] {
                    let glibc = Self.glibcService(named: name, proto: proto)
                    #expect(glibc == nil, "glibc unexpectedly knows \(name)")
                    #expect(database.service(named: name, proto: proto) == glibc)
                    comparisons += 1
                }
            }
            let knownPorts = Set(reference.map(\.port))
            let absentPorts = (UInt16(1)...UInt16.max).lazy.filter { !knownPorts.contains($0) }.prefix(50)
            for port in absentPorts {
                #expect(Self.glibcService(port: port, proto: nil) == nil)
                #expect(database.service(port: port, proto: nil) == nil)
                comparisons += 1
            }
            // A known name with a protocol it is not listed for.
            #expect(Self.glibcService(named: "ssh", proto: "no-such-proto") == nil)
            #expect(database.service(named: "ssh", proto: "no-such-proto") == nil)
        }
        #expect(comparisons > 1000)
    }

    // MARK: protocols

    @Test func protocolsEnumerationMatchesGetprotoent() throws {
        let database = try Self.loadProtocols()
        let glibc = Self.glibcProtocols()
        #expect(!glibc.isEmpty)
        #expect(database.entries == glibc)
    }

    /// Questions from glibc's enumeration, as for services.
    @Test func everyProtocolNameAliasAndNumberMatchesGlibc() throws {
        let database = try Self.loadProtocols()
        let reference = Self.glibcProtocols()
        #expect(reference.count > 20, "/etc/protocols looks truncated")
        Self.glibcLock.withLock {
            for entry in reference {
                for name in [entry.name] + entry.aliases {
                    let glibc = getprotobyname(name).map { Self.protocolEntry($0.pointee) }
                    #expect(glibc != nil, "glibc does not know \(name)")
                    #expect(database.protocol(named: name) == glibc, "getprotobyname(\(name))")
                }
                let glibc = getprotobynumber(entry.number).map { Self.protocolEntry($0.pointee) }
                #expect(database.protocol(number: entry.number) == glibc, "getprotobynumber(\(entry.number))")
            }
            for name in ["no-such-protocol-resolvd", "Tcp", "", "tcp "] {
                let glibc = getprotobyname(name).map { Self.protocolEntry($0.pointee) }
                #expect(glibc == nil)
                #expect(database.protocol(named: name) == nil)
            }
            let known = Set(reference.map(\.number))
            for number in Int32(-2)...Int32(300) where !known.contains(number) {
                #expect(getprotobynumber(number) == nil)
                #expect(database.protocol(number: number) == nil)
            }
        }
    }

    // MARK: helpers

    /// Loads /etc/services, failing (never skipping) when it is missing: the differential test
    /// is only meaningful with the real file.
    static func loadServices() throws -> ServicesDatabase {
        guard access(servicesPath, R_OK) == 0 else {
            Issue.record("\(servicesPath) is missing or unreadable: install the Debian package netbase")
            throw ResolverError.invalidArgument("\(servicesPath) missing")
        }
        return try ServicesDatabase(contentsOf: servicesPath)
    }

    static func loadProtocols() throws -> ProtocolsDatabase {
        guard access(protocolsPath, R_OK) == 0 else {
            Issue.record("\(protocolsPath) is missing or unreadable: install the Debian package netbase")
            throw ResolverError.invalidArgument("\(protocolsPath) missing")
        }
        return try ProtocolsDatabase(contentsOf: protocolsPath)
    }

    /// Every entry of glibc's services database, in its order (getservent).
    static func glibcServices() -> [ServiceEntry] {
        glibcLock.withLock {
            setservent(0)
            defer { endservent() }
            var entries: [ServiceEntry] = []
            while let entry = getservent() { entries.append(serviceEntry(entry.pointee)) }
            return entries
        }
    }

    /// Every entry of glibc's protocols database, in its order (getprotoent).
    static func glibcProtocols() -> [ProtocolEntry] {
        glibcLock.withLock {
            setprotoent(0)
            defer { endprotoent() }
            var entries: [ProtocolEntry] = []
            while let entry = getprotoent() { entries.append(protocolEntry(entry.pointee)) }
            return entries
        }
    }

    /// Call with `glibcLock` held.
    static func glibcService(named name: String, proto: String?) -> ServiceEntry? {
        let result: UnsafeMutablePointer<servent>? =
            if let proto { getservbyname(name, proto) } else { getservbyname(name, nil) }
        return result.map { serviceEntry($0.pointee) }
    }

    /// Call with `glibcLock` held. `getservbyport` takes the port in network byte order.
    static func glibcService(port: UInt16, proto: String?) -> ServiceEntry? {
        let networkPort = Int32(port.bigEndian)
        let result: UnsafeMutablePointer<servent>? =
            if let proto { getservbyport(networkPort, proto) } else { getservbyport(networkPort, nil) }
        return result.map { serviceEntry($0.pointee) }
    }

    static func serviceEntry(_ entry: servent) -> ServiceEntry {
        ServiceEntry(
            name: String(cString: entry.s_name),
            aliases: strings(entry.s_aliases),
            // s_port holds a network-byte-order 16-bit value in an int.
            port: UInt16(bigEndian: UInt16(truncatingIfNeeded: entry.s_port)),
            proto: String(cString: entry.s_proto)
        )
    }

    static func protocolEntry(_ entry: protoent) -> ProtocolEntry {
        ProtocolEntry(name: String(cString: entry.p_name), aliases: strings(entry.p_aliases), number: entry.p_proto)
    }

    static func strings(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
        guard let list else { return [] }
        var result: [String] = []
        var index = 0
        while let string = list[index] {
            result.append(String(cString: string))
            index += 1
        }
        return result
    }
}
#endif
