/// Reads the common, well-formed v1 request line straight from its bytes into the members
/// ``RequestDecoder`` reads, without building a ``JSONValue`` tree or a `String` per key:
/// each key is matched as bytes against the ``Parameter`` names, each value noted where it
/// lies and made into a value only when the decoder asks for it.
///
/// Written by hand only because it is hot: every lookup request goes through it, and the
/// generic path (``JSONParser``, then ``ObjectRequestMembers``) cost about a fifth of a
/// cached lookup (callgrind). It does not decide anything the generic path decides: what a
/// request means stays the decoder's, which both paths share.
///
/// It does not read (and leaves to the generic path, which then answers exactly as it
/// always did): escapes, bytes outside printable ASCII in strings, numbers with a fraction,
/// an exponent or more than 18 digits, objects, arrays of anything but strings, keys that
/// name no parameter, repeated keys, an `id` that is not an integer in 1…2^53−1, an `op`
/// that is not one, or any request the decoder refuses. For any of these, and for anything
/// malformed, ``withMembers(of:_:)`` returns nil and reads no further.
struct RequestLineScanner {
    /// Where one member's value lies, by kind.
    struct Slot {
        enum Kind: UInt8 {
            case null, `false`, `true`, integer, string, stringArray
        }

        var kind = Kind.null
        /// A string's (or an array's, between its brackets) byte range; an integer's value in `start`.
        var start = 0
        var end = 0
    }

    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var index = 0
    private var parameters: UInt32 = 0
    /// One per parameter, by ``Parameter/index``; only those in `parameters` are set. Kept
    /// outside the scanner (on the stack) and lent to the members by pointer: as a value
    /// (an `InlineArray` of ~500 bytes) it was copied on every use (callgrind).
    private let slots: UnsafeMutablePointer<Slot>

    private init(base: UnsafePointer<UInt8>, count: Int, slots: UnsafeMutablePointer<Slot>) {
        self.base = base
        self.end = count
        self.slots = slots
    }

    /// Calls `body` with the members of the request object that is all of `bytes`, and
    /// returns what it returns; nil, without calling it, when the line is one the generic
    /// path must read (see the type's comment). The members borrow `bytes` and memory of
    /// this call: they must not escape `body`.
    static func withMembers<Result>(
        of bytes: UnsafeRawBufferPointer, _ body: (ScannedRequestMembers) -> Result?
    ) -> Result? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: Slot.self, capacity: Parameter.Table<Slot>.count) { slots in
            var scanner = RequestLineScanner(
                base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count, slots: slots.baseAddress!)
            guard scanner.readObject() else { return nil }
            return body(ScannedRequestMembers(base: scanner.base, parameters: scanner.parameters, slots: scanner.slots))
        }
    }

    // MARK: Structure

    private mutating func readObject() -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        while true {
            guard let parameter = readKey() else { return false }
            // A repeated key is the generic path's error to report.
            guard parameters & parameter.bit == 0 else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard let slot = readValue() else { return false }
            parameters |= parameter.bit
            (slots + parameter.index).initialize(to: slot)
            skipWhitespace()
            if take(UInt8(ascii: ",")) {
                skipWhitespace()
                continue
            }
            guard take(UInt8(ascii: "}")) else { return false }
            skipWhitespace()
            return index == end
        }
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < end {
            switch base[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    /// Moves past `byte` if it is next.
    @inline(__always)
    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < end, base[index] == byte else { return false }
        index += 1
        return true
    }

    /// A key that is a parameter's wire name, exactly.
    private mutating func readKey() -> Parameter? {
        guard let (start, stop) = readPlainString() else { return nil }
        return Parameter(wireName: UnsafeRawBufferPointer(start: base + start, count: stop - start))
    }

    private mutating func readValue() -> Slot? {
        guard index < end else { return nil }
        switch base[index] {
        case UInt8(ascii: "\""):
            guard let (start, stop) = readPlainString() else { return nil }
            return Slot(kind: .string, start: start, end: stop)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard let value = readInteger() else { return nil }
            return Slot(kind: .integer, start: value)
        case UInt8(ascii: "t"):
            return readWord("true") ? Slot(kind: .true) : nil
        case UInt8(ascii: "f"):
            return readWord("false") ? Slot(kind: .false) : nil
        case UInt8(ascii: "n"):
            return readWord("null") ? Slot(kind: .null) : nil
        case UInt8(ascii: "["):
            return readStringArray()
        default:
            return nil
        }
    }

    /// `[` strings `]`, each string as ``readPlainString()`` reads it.
    private mutating func readStringArray() -> Slot? {
        index += 1  // past '['
        let start = index
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return Slot(kind: .stringArray, start: start, end: index - 1) }
        while true {
            guard readPlainString() != nil else { return nil }
            skipWhitespace()
            if take(UInt8(ascii: "]")) { return Slot(kind: .stringArray, start: start, end: index - 1) }
            guard take(UInt8(ascii: ",")) else { return nil }
            skipWhitespace()
        }
    }

    // MARK: Tokens

    /// A string of printable ASCII without escapes, at its opening quote: the range of its
    /// text. Anything else in it (an escape, a control character, UTF-8 beyond ASCII) is
    /// for the generic path, which knows how to decode, validate or refuse it.
    private mutating func readPlainString() -> (start: Int, end: Int)? {
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
    private mutating func readInteger() -> Int? {
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
    private mutating func readWord(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard end - index >= count else { return false }
        for offset in 0..<count where base[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }
}
