#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a files-backend database (/etc/services, /etc/protocols, /etc/hosts) and cuts it
/// into the lines glibc's parsers see.
///
/// `DatabaseFile` only reproduces glibc's line handling (`__nss_readline` and the `LINE_PARSER`
/// prologue of `files-parse.c`): it does not know any field layout. The per-database types
/// (``ServicesDatabase``, ``ProtocolsDatabase``, ``HostsDatabase``) parse the fields with
/// ``DatabaseLineScanner``.
///
/// Everything is done on bytes, not `String`s: glibc compares with `strcmp`, and Swift's
/// `String` equality uses Unicode canonical equivalence, so two names glibc considers different
/// could compare equal as `String`s.
enum DatabaseFile {
    /// The whole file, as bytes.
    ///
    /// - Throws: ``ResolverError/invalidArgument(_:)`` naming `path` when the file cannot be
    ///   opened or read.
    static func contents(of path: String) throws(ResolverError) -> [UInt8] {
        guard let file = fopen(path, "re") else {
            throw ResolverError.invalidArgument("cannot open \(path): \(Self.errnoDescription())")
        }
        defer { fclose(file) }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            bytes.append(contentsOf: chunk[..<count])
            if count < chunk.count {
                // fread cannot tell EOF from an error; ferror can. Reading a directory, for
                // instance, fails here (EISDIR) rather than at fopen.
                if ferror(file) != 0 {
                    throw ResolverError.invalidArgument("cannot read \(path): \(Self.errnoDescription())")
                }
                return bytes
            }
        }
    }

    /// The lines of `bytes` that glibc hands to a database's line parser, in file order,
    /// each already cut at its comment.
    ///
    /// What glibc does, and this reproduces:
    /// - A line ends at `\n`; the last line need not have one.
    /// - Leading white space (`isspace` in the C locale) is skipped; a line that is then empty,
    ///   or starts with `#` or a NUL byte, is not parsed at all.
    /// - `__nss_readline` removes the leading white space with
    ///   `memmove(buf, p, strlen(p))`, which does not move the terminating NUL. For a line that
    ///   ends with `\n` that is harmless (the parser stops at the `\n`), but for a last line
    ///   with no `\n`, or one with a NUL byte inside, the tail of the old text stays behind:
    ///   `"  last 47/tcp"` at the end of the file is parsed as `"last 47/tcp/tcp"`. glibc 2.36
    ///   really answers that way, so this does too.
    /// - The parser sees the text up to the first NUL byte, then cuts it at the first `#` or
    ///   `\n` (a `#` anywhere starts a comment, even inside a word).
    static func lines(of bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n"))
            let end = newline.map { $0 + 1 } ?? bytes.endIndex
            if let line = Self.parserView(ofRawLine: bytes[start..<end]) {
                lines.append(line)
            }
            start = end
        }
        return lines
    }

    /// What the line parser sees of one line as `fgets` returned it (including its `\n`, if
    /// any), or `nil` when glibc skips the line as blank or a comment.
    private static func parserView(ofRawLine raw: ArraySlice<UInt8>) -> [UInt8]? {
        // The fgets buffer: the raw line and its terminating NUL.
        var buffer = Array(raw)
        buffer.append(0)

        let leading = buffer.prefix(while: Self.isSpace).count
        let first = buffer[leading]
        if first == 0 || first == UInt8(ascii: "#") {
            return nil
        }
        if leading > 0 {
            // memmove(buf, p, strlen(p)): the NUL is not copied.
            let length = buffer[leading...].firstIndex(of: 0)! - leading
            buffer.replaceSubrange(0..<length, with: buffer[leading..<(leading + length)])
        }
        let text = buffer.prefix(while: { $0 != 0 })
        // strpbrk(line, "#\n")
        return Array(text.prefix(while: { $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: "\n") }))
    }

    /// `isspace` in the C locale: space, `\t`, `\n`, `\v`, `\f`, `\r`.
    ///
    /// Not the current locale's: for bytes of 0x80 and above, glibc's UTF-8 locales say "not a
    /// space" too, and a daemon should not depend on `setlocale`.
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private static func errnoDescription() -> String {
        String(cString: strerror(errno))
    }
}
