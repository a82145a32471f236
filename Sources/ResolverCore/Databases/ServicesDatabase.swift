/// The services database (/etc/services), answering exactly as glibc's `getservbyname` and
/// `getservbyport` do with the `files` NSS backend.
///
/// glibc scans the file in order for every lookup and returns the first matching entry.
/// `ServicesDatabase` parses the file once (see `ServicesDatabase+Parsing.swift` for the glibc
/// rules it follows, quirks included) and builds dictionaries that keep the *first* entry for
/// every key, so each lookup is O(1) and gives the answer a scan would.
///
/// Names and protocols are compared byte for byte, like `strcmp`: case-sensitively and
/// without Unicode normalisation. A query is cut at its first NUL character, as C would see it.
///
/// `ServicesDatabase` does not watch the file for changes, consult other NSS sources (`db`,
/// `nis`), or know which protocols exist: an entry may have any protocol string, even `""`.
public struct ServicesDatabase: Sendable {
    /// Every entry glibc would accept, in file order (what `getservent` enumerates).
    public let entries: [ServiceEntry]

    private let firstByName: [[UInt8]: Int]
    private let firstByNameAndProtocol: [NameAndProtocol: Int]
    private let firstByPort: [UInt16: Int]
    private let firstByPortAndProtocol: [PortAndProtocol: Int]

    private struct NameAndProtocol: Hashable, Sendable {
        var name: [UInt8]
        var proto: [UInt8]
    }

    private struct PortAndProtocol: Hashable, Sendable {
        var port: UInt16
        var proto: [UInt8]
    }

    /// Reads and parses a services file.
    ///
    /// - Throws: ``ResolverError/invalidArgument(_:)``, naming `path`, when the file cannot be
    ///   read. Malformed lines are not errors: they are skipped, as glibc skips them.
    public init(contentsOf path: String) throws(ResolverError) {
        self.init(bytes: try DatabaseFile.contents(of: path))
    }

    /// Parses services text in the /etc/services format.
    public init(parsing text: String) {
        self.init(bytes: Array(text.utf8))
    }

    private init(bytes: [UInt8]) {
        let parsed = DatabaseFile.lines(of: bytes).compactMap(Self.parseLine)

        var firstByName: [[UInt8]: Int] = [:]
        var firstByNameAndProtocol: [NameAndProtocol: Int] = [:]
        var firstByPort: [UInt16: Int] = [:]
        var firstByPortAndProtocol: [PortAndProtocol: Int] = [:]
        for (index, line) in parsed.enumerated() {
            // Inserting only when absent keeps the first entry, which is what glibc's in-order
            // scan finds.
            for name in [line.name] + line.aliases {
                firstByName[name] = firstByName[name] ?? index
                let key = NameAndProtocol(name: name, proto: line.proto)
                firstByNameAndProtocol[key] = firstByNameAndProtocol[key] ?? index
            }
            firstByPort[line.port] = firstByPort[line.port] ?? index
            let key = PortAndProtocol(port: line.port, proto: line.proto)
            firstByPortAndProtocol[key] = firstByPortAndProtocol[key] ?? index
        }

        self.entries = parsed.map(\.entry)
        self.firstByName = firstByName
        self.firstByNameAndProtocol = firstByNameAndProtocol
        self.firstByPort = firstByPort
        self.firstByPortAndProtocol = firstByPortAndProtocol
    }

    /// The entry `getservbyname(name, proto)` returns: the first whose official name or one of
    /// whose aliases is `name`, with protocol `proto` unless `proto` is `nil`.
    public func service(named name: String, proto: String?) -> ServiceEntry? {
        let name = Self.cString(name)
        let index: Int?
        if let proto {
            index = firstByNameAndProtocol[NameAndProtocol(name: name, proto: Self.cString(proto))]
        } else {
            index = firstByName[name]
        }
        return index.map { entries[$0] }
    }

    /// The entry `getservbyport(htons(port), proto)` returns: the first with `port` (host byte
    /// order) and protocol `proto` unless `proto` is `nil`.
    public func service(port: UInt16, proto: String?) -> ServiceEntry? {
        let index: Int?
        if let proto {
            index = firstByPortAndProtocol[PortAndProtocol(port: port, proto: Self.cString(proto))]
        } else {
            index = firstByPort[port]
        }
        return index.map { entries[$0] }
    }

    /// The bytes C sees when `string` is passed as a `const char *`: up to the first NUL.
    static func cString(_ string: String) -> [UInt8] {
        Array(string.utf8.prefix(while: { $0 != 0 }))
    }
}
