#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hosts database (/etc/hosts): `address name [aliases...]` lines, looked up by name and
/// by address.
///
/// Lines are read as glibc reads them (comments, white space, the same line handling as
/// ``ServicesDatabase``); a line whose address `inet_pton` rejects, for IPv4 and for IPv6, is
/// skipped, as is a line with no name. Scoped addresses such as `fe80::1%eth0` are rejected by
/// `inet_pton`, so glibc skips those lines too.
///
/// Lookups by name are ASCII case-insensitive and ignore one trailing dot on either side, so
/// `Example.test.` finds `example.test`. The first line (of the requested family) that lists
/// the name gives the canonical name and aliases; the addresses come from every such line.
///
/// This is deliberately simpler than glibc's `files` backend, which also (observed with
/// glibc 2.36) answers an IPv4 `gethostbyname` with 127.0.0.1 for a `::1` line and with the
/// IPv4 address for a `::ffff:a.b.c.d` line, adds the names of *every* matching line to the
/// aliases, and does not ignore a trailing dot. `HostsDatabase` returns only addresses written
/// in the requested family and the aliases of the first matching line.
///
/// It does not watch the file for changes.
public struct HostsDatabase: Sendable {
    /// A database with no lines: every lookup finds nothing.
    public static let empty = HostsDatabase(bytes: [])

    private struct Line: Sendable {
        var address: HostsMatch.Address
        var name: String
        var aliases: [String]
    }

    private let lines: [Line]
    /// Lowercased, dot-stripped name → the lines listing it, in file order, each once.
    private let linesByName: [[UInt8]: [Int]]
    /// An address (compared in binary: "0:0::1" is "::1") → the first line with it.
    private let firstLineByAddress: [IPAddress: Int]

    /// Reads and parses a hosts file.
    ///
    /// - Throws: ``ResolverError/invalidArgument(_:)``, naming `path`, when the file cannot be
    ///   read. Bad lines are skipped, not errors.
    public init(contentsOf path: String) throws(ResolverError) {
        self.init(bytes: try DatabaseFile.contents(of: path))
    }

    /// Parses hosts text in the /etc/hosts format.
    public init(parsing text: String) {
        self.init(bytes: Array(text.utf8))
    }

    private init(bytes: [UInt8]) {
        var lines: [Line] = []
        var linesByName: [[UInt8]: [Int]] = [:]
        var firstLineByAddress: [IPAddress: Int] = [:]
        for text in DatabaseFile.lines(of: bytes) {
            var scanner = DatabaseLineScanner(text)
            let addressField = scanner.stringField(isTerminator: DatabaseFile.isSpace)
            let names = scanner.remainingWords()
            // inet_pton's forms (IPv4 first, then IPv6, as glibc tries them), printed as inet_ntop does.
            guard let address = IPAddress(parsing: addressField), !names.isEmpty else { continue }

            let index = lines.count
            lines.append(
                Line(
                    address: HostsMatch.Address(family: address.family, text: address.text),
                    name: String(decoding: names[0], as: UTF8.self),
                    aliases: names.dropFirst().map { String(decoding: $0, as: UTF8.self) }
                )
            )
            var seen: Set<[UInt8]> = []
            for name in names {
                let key = Self.lookupKey(name)
                // A line that lists a name twice contributes its address once.
                if !key.isEmpty, seen.insert(key).inserted {
                    linesByName[key, default: []].append(index)
                }
            }
            firstLineByAddress[address] = firstLineByAddress[address] ?? index
        }
        self.lines = lines
        self.linesByName = linesByName
        self.firstLineByAddress = firstLineByAddress
    }

    /// The lines that list `name`, restricted to `family` (``AddressFamily/unspecified``: both
    /// families), or `nil` when there is none.
    public func addresses(for name: String, family: AddressFamily) -> HostsMatch? {
        guard !linesByName.isEmpty, let candidates = linesByName[Self.lookupKey(Array(name.utf8))] else { return nil }
        let matching = candidates.lazy.map { lines[$0] }.filter {
            family == .unspecified || $0.address.family == family
        }
        guard let first = matching.first else { return nil }
        return HostsMatch(canonicalName: first.name, aliases: first.aliases, addresses: matching.map(\.address))
    }

    /// The names of the first line whose address equals `address`, compared in binary form
    /// ("::1" matches a "0:0::1" line), or `nil` when `address` is not a valid IPv4 or IPv6
    /// address or no line has it.
    public func names(for address: String) -> (name: String, aliases: [String])? {
        guard let address = IPAddress(parsing: address), let index = firstLineByAddress[address] else { return nil }
        return (lines[index].name, lines[index].aliases)
    }

    /// The key names are indexed by: ASCII-lowercased (like glibc's `strcasecmp`, not Unicode
    /// case folding) with one trailing dot removed.
    private static func lookupKey(_ name: [UInt8]) -> [UInt8] {
        var key = name.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 | 0x20 : $0 }
        if key.last == UInt8(ascii: ".") {
            key.removeLast()
        }
        return key
    }
}
