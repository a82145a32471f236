/// The protocols database (/etc/protocols), answering exactly as glibc's `getprotobyname` and
/// `getprotobynumber` do with the `files` NSS backend.
///
/// Like glibc, the first entry in file order wins; the dictionaries built at parse time keep
/// that entry for every name and number, so lookups are O(1). Names are compared byte for
/// byte (`strcmp`): case-sensitively, without Unicode normalisation.
///
/// `ProtocolsDatabase` does not watch the file for changes or consult other NSS sources.
public struct ProtocolsDatabase: Sendable {
    /// Every entry glibc would accept, in file order (what `getprotoent` enumerates).
    public let entries: [ProtocolEntry]

    private let firstByName: [[UInt8]: Int]
    private let firstByNumber: [Int32: Int]

    /// Reads and parses a protocols file.
    ///
    /// - Throws: ``ResolverError/invalidArgument(_:)``, naming `path`, when the file cannot be
    ///   read. Malformed lines are skipped, as glibc skips them.
    public init(contentsOf path: String) throws(ResolverError) {
        self.init(bytes: try DatabaseFile.contents(of: path))
    }

    /// Parses protocols text in the /etc/protocols format.
    public init(parsing text: String) {
        self.init(bytes: Array(text.utf8))
    }

    private init(bytes: [UInt8]) {
        var entries: [ProtocolEntry] = []
        var firstByName: [[UInt8]: Int] = [:]
        var firstByNumber: [Int32: Int] = [:]
        for line in DatabaseFile.lines(of: bytes) {
            guard let (names, number) = Self.parseLine(line) else { continue }
            let index = entries.count
            for name in names {
                firstByName[name] = firstByName[name] ?? index
            }
            firstByNumber[number] = firstByNumber[number] ?? index
            entries.append(
                ProtocolEntry(
                    name: String(decoding: names[0], as: UTF8.self),
                    aliases: names.dropFirst().map { String(decoding: $0, as: UTF8.self) },
                    number: number
                )
            )
        }
        self.entries = entries
        self.firstByName = firstByName
        self.firstByNumber = firstByNumber
    }

    /// The entry `getprotobyname(name)` returns: the first whose official name or one of whose
    /// aliases is `name`.
    public func `protocol`(named name: String) -> ProtocolEntry? {
        firstByName[ServicesDatabase.cString(name)].map { entries[$0] }
    }

    /// The entry `getprotobynumber(number)` returns: the first with that number.
    public func `protocol`(number: Int32) -> ProtocolEntry? {
        firstByNumber[number].map { entries[$0] }
    }

    /// Parses one line as glibc 2.36's `files-proto.c` does:
    /// ```
    /// STRING_FIELD (result->p_name, isspace, 1);
    /// INT_FIELD (result->p_proto, isspace, 1, 10,);
    /// ```
    /// then the alias list. Returns the official name followed by the aliases, and the number;
    /// `nil` where glibc skips the line.
    ///
    /// Unlike the services port, the number is decimal only (`010` is 10, `0x10` is malformed).
    /// Values up to 4294967295 are accepted and stored into an `int`, so `4294967295` is -1;
    /// larger and negative values (other than `-0`) are skipped.
    static func parseLine(_ line: [UInt8]) -> (names: [[UInt8]], number: Int32)? {
        var scanner = DatabaseLineScanner(line)
        let name = scanner.stringField(isTerminator: DatabaseFile.isSpace)
        guard let number = scanner.integerField(base: 10, isTerminator: DatabaseFile.isSpace) else {
            return nil
        }
        return ([name] + scanner.remainingWords(), Int32(bitPattern: number))
    }
}
