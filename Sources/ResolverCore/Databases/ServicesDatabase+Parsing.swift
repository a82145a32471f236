extension ServicesDatabase {
    /// One accepted line, with its fields as the bytes glibc compares.
    struct ParsedLine {
        var name: [UInt8]
        var aliases: [[UInt8]]
        var port: UInt16
        var proto: [UInt8]

        var entry: ServiceEntry {
            ServiceEntry(
                name: String(decoding: name, as: UTF8.self),
                aliases: aliases.map { String(decoding: $0, as: UTF8.self) },
                port: port,
                proto: String(decoding: proto, as: UTF8.self)
            )
        }
    }

    /// Parses one line the way glibc 2.36's `files-service.c` does, or returns `nil` where glibc
    /// skips the line.
    ///
    /// glibc's parser is
    /// ```
    /// STRING_FIELD (result->s_name, isspace, 1);
    /// INT_FIELD (result->s_port, ISSLASH, 10, 0, htons);   // base 0!
    /// STRING_FIELD (result->s_proto, isspace, 1);
    /// ```
    /// followed by the white-space separated alias list. Consequences, all checked against
    /// glibc 2.36 on Debian bookworm:
    /// - The port is read with `strtoul(..., 0)`: `0x50` is 80 and `010` is 8 (`08` is
    ///   malformed). A leading `+` is accepted.
    /// - The port must be followed by `/` (any number of them) or the end of the line:
    ///   `80x/tcp` and `80 /tcp` are skipped.
    /// - Values above 4294967295 and negative values (other than `-0`) are skipped; the rest
    ///   are taken modulo 65536 (`70000` is port 4464), because `htons` narrows to 16 bits.
    /// - The protocol may be empty: `name 30` and `name 30/` are entries with protocol `""`,
    ///   found by `getservbyname(name, NULL)` and `getservbyname(name, "")`. In `name 30/ tcp`
    ///   the protocol is `""` and `tcp` is an alias.
    static func parseLine(_ line: [UInt8]) -> ParsedLine? {
        var scanner = DatabaseLineScanner(line)
        let name = scanner.stringField(isTerminator: DatabaseFile.isSpace)
        guard let port = scanner.integerField(base: 0, isTerminator: { $0 == UInt8(ascii: "/") }) else {
            return nil
        }
        let proto = scanner.stringField(isTerminator: DatabaseFile.isSpace)
        let aliases = scanner.remainingWords()
        return ParsedLine(name: name, aliases: aliases, port: UInt16(truncatingIfNeeded: port), proto: proto)
    }
}
