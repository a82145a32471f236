/// The JSON tokens the fast readers of requests take straight from their bytes — v1's common
/// request line (``RequestLineScanner``) and the daemon's reader of nss-resolve's Varlink
/// call: plain strings (printable ASCII without escapes), integers of at most 18 digits
/// (so that none overflows) without a fraction or an exponent, `true`, `false`, `null`,
/// and whitespace.
///
/// Each reader refuses (nil, false) anything else and leaves the scan where it was not
/// meant to be read further: those readers then hand the whole text to the generic path
/// (``JSONParser``), which decodes, validates or refuses it. It reads an object's members
/// (``readMembers(_:)``) but not their values, which are its callers' to read.
package struct PlainJSONTokens {
    package let base: UnsafePointer<UInt8>
    package let end: Int
    package var index = 0

    package init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.end = count
    }

    /// Whether every byte has been read.
    package var isAtEnd: Bool { index == end }

    /// The next byte, not read yet; nil at the end.
    package var next: UInt8? { index < end ? base[index] : nil }

    @inline(__always)
    package mutating func skipWhitespace() {
        while index < end {
            switch base[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    /// Moves past `byte` if it is next.
    @inline(__always)
    package mutating func take(_ byte: UInt8) -> Bool {
        guard index < end, base[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string of printable ASCII without escapes, at its opening quote: the range of its
    /// text. Anything else in it (an escape, a control character, UTF-8 beyond ASCII) is
    /// for the generic path, which knows how to decode, validate or refuse it.
    package mutating func readPlainString() -> (start: Int, end: Int)? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return (start, index - 1)
            }
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { return nil }
            index += 1
        }
        return nil
    }

    /// An integer of at most 18 digits (so it cannot overflow), without a leading zero,
    /// fraction or exponent.
    package mutating func readInteger() -> Int? {
        let negative = take(UInt8(ascii: "-"))
        let start = index
        var value = 0
        while index < end, case let digit = base[index] &- UInt8(ascii: "0"), digit < 10 {
            value = value &* 10 &+ Int(digit)
            index += 1
        }
        let digits = index - start
        guard digits > 0, digits <= 18, digits == 1 || base[start] != UInt8(ascii: "0") else { return nil }
        // A fraction or an exponent makes a double; the next token check would refuse
        // them too, but say so here.
        if index < end, base[index] == UInt8(ascii: ".") || base[index] | 0x20 == UInt8(ascii: "e") { return nil }
        return negative ? -value : value
    }

    /// `word` (`true`, `false`, `null`) at the current byte.
    package mutating func readWord(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard end - index >= count, bytes(index, index + count, are: word) else { return false }
        index += count
        return true
    }

    /// `{` members `}` at the current byte (whitespace around each token): each key, a plain
    /// string, read here, its value by `member` (false: not read — and the object is not
    /// either). An empty object is not read.
    @inline(__always)
    package mutating func readMembers(_ member: (_ key: (start: Int, end: Int), _ tokens: inout PlainJSONTokens) -> Bool) -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        while true {
            guard let key = readPlainString() else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(key, &self) else { return false }
            skipWhitespace()
            if take(UInt8(ascii: ",")) {
                skipWhitespace()
                continue
            }
            return take(UInt8(ascii: "}"))
        }
    }

    /// Whether the bytes `start..<end` are exactly `text`.
    package func bytes(_ start: Int, _ end: Int, are text: StaticString) -> Bool {
        guard end - start == text.utf8CodeUnitCount else { return false }
        for offset in 0..<(end - start) where base[start + offset] != text.utf8Start[offset] { return false }
        return true
    }

    /// The bytes `start..<end` as a String (plain strings are ASCII: no validation needed).
    package func string(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
    }
}
