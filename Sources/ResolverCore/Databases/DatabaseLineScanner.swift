/// Reads the fields of one database line the way glibc's `files-parse.c` macros do.
///
/// Each method mirrors one macro (`STRING_FIELD`, `INT_FIELD`, the trailing list parser) so the
/// per-database parsers read like glibc's `LINE_PARSER` bodies. The scanner does not decide
/// which lines are valid; a `nil` from ``integerField(base:isTerminator:)`` is the macro's
/// `return 0`, and the caller skips the line.
struct DatabaseLineScanner {
    private let line: [UInt8]
    private var position: Int

    init(_ line: [UInt8]) {
        self.line = line
        self.position = line.startIndex
    }

    /// `STRING_FIELD(variable, terminator, 1)`: everything up to the next terminator (possibly
    /// nothing), then every terminator after it is swallowed.
    ///
    /// An empty field is not an error in glibc: `"noproto 30"` is a service with protocol `""`.
    mutating func stringField(isTerminator: (UInt8) -> Bool) -> [UInt8] {
        let start = position
        while position < line.endIndex, !isTerminator(line[position]) {
            position += 1
        }
        let field = Array(line[start..<position])
        if position < line.endIndex {
            repeat {
                position += 1
            } while position < line.endIndex && isTerminator(line[position])
        }
        return field
    }

    /// `INT_FIELD(variable, terminator, 1, base, ...)` as glibc 2.36 has it: `strtoul`, then
    /// the number must be followed by a terminator (all of them swallowed) or the end of the
    /// line, and must not exceed `UINT32_MAX`.
    ///
    /// Returns the value before any narrowing; `nil` where glibc rejects the line.
    mutating func integerField(base: Int, isTerminator: (UInt8) -> Bool) -> UInt32? {
        let (value, end) = Self.strtoul(line, from: position, base: base)
        guard end != position else { return nil }
        if end < line.endIndex {
            guard isTerminator(line[end]) else { return nil }
            position = end
            repeat {
                position += 1
            } while position < line.endIndex && isTerminator(line[position])
        } else {
            position = end
        }
        // glibc 2.36 rejects values above UINT32_MAX (observed: "-1" and "4294967296" skip the
        // line, "4294967295" does not). Smaller values are then narrowed by the caller, so a
        // port of 70000 is 4464, as with glibc.
        return UInt32(exactly: value)
    }

    /// The trailing list (`parse_list` with `isspace` separators): the remaining non-empty
    /// words.
    mutating func remainingWords() -> [[UInt8]] {
        let words = line[position...].split(whereSeparator: DatabaseFile.isSpace).map { Array($0) }
        position = line.endIndex
        return words
    }

    /// glibc's `strtoul` on a 64-bit target, in the C locale: leading white space, an optional
    /// sign, for base 0 a `0x`/`0` prefix choosing hex/octal; overflow gives `ULONG_MAX`; a
    /// minus sign negates modulo 2^64. Returns the value and the index just past the number, or
    /// `start` when there is no number.
    static func strtoul(_ text: [UInt8], from start: Int, base: Int) -> (value: UInt64, end: Int) {
        var index = start
        while index < text.endIndex, DatabaseFile.isSpace(text[index]) {
            index += 1
        }
        var negative = false
        if index < text.endIndex, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") {
            negative = text[index] == UInt8(ascii: "-")
            index += 1
        }
        var radix = base
        if radix == 0 || radix == 16, index + 2 < text.endIndex,
           text[index] == UInt8(ascii: "0"), text[index + 1] | 0x20 == UInt8(ascii: "x"),
           let digit = Self.digitValue(text[index + 2]), digit < 16
        {
            // "0x" counts as a prefix only when a hex digit follows; otherwise "0x" is the
            // number 0 followed by "x".
            radix = 16
            index += 2
        } else if radix == 0 {
            radix = index < text.endIndex && text[index] == UInt8(ascii: "0") ? 8 : 10
        }

        let digitsStart = index
        var value: UInt64 = 0
        var overflow = false
        while index < text.endIndex, let digit = Self.digitValue(text[index]), digit < radix {
            let (shifted, overflowMultiply) = value.multipliedReportingOverflow(by: UInt64(radix))
            let (sum, overflowAdd) = shifted.addingReportingOverflow(UInt64(digit))
            overflow = overflow || overflowMultiply || overflowAdd
            value = sum
            index += 1
        }
        guard index > digitsStart else { return (0, start) }
        if overflow {
            return (UInt64.max, index)
        }
        return (negative ? 0 &- value : value, index)
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
