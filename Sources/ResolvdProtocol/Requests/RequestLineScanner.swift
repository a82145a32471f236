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
enum RequestLineScanner {
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

    /// Calls `body` with the members of the request object that is all of `bytes`, and
    /// returns what it returns; nil, without calling it, when the line is one the generic
    /// path must read (see the type's comment). The members borrow `bytes` and memory of
    /// this call: they must not escape `body`.
    static func withMembers<Result>(
        of bytes: UnsafeRawBufferPointer, _ body: (ScannedRequestMembers) -> Result?
    ) -> Result? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        // One slot per parameter, by ``Parameter/index``, on the stack and lent to the members
        // by pointer: as a value (an `InlineArray` of ~500 bytes) it was copied on every use
        // (callgrind).
        return withUnsafeTemporaryAllocation(of: Slot.self, capacity: Parameter.Table<Slot>.count) { slots in
            var tokens = PlainJSONTokens(base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count)
            guard let parameters = readObject(&tokens, into: slots.baseAddress!) else { return nil }
            return body(ScannedRequestMembers(base: tokens.base, parameters: parameters, slots: slots.baseAddress!))
        }
    }

    // MARK: Structure

    /// The object that is all of the bytes: a bit per parameter it has (``Parameter/bit``),
    /// each one's slot filled in; nil for anything this reader leaves to the generic path.
    private static func readObject(_ tokens: inout PlainJSONTokens, into slots: UnsafeMutablePointer<Slot>) -> UInt32? {
        var parameters: UInt32 = 0
        let wellFormed = tokens.readMembers { key, tokens in
            // A key that is a parameter's wire name, exactly; a repeated key is the generic
            // path's error to report.
            guard let parameter = Parameter(wireName: UnsafeRawBufferPointer(start: tokens.base + key.start, count: key.end - key.start)),
                  parameters & parameter.bit == 0, let slot = readValue(&tokens)
            else { return false }
            parameters |= parameter.bit
            (slots + parameter.index).initialize(to: slot)
            return true
        }
        tokens.skipWhitespace()
        return wellFormed && tokens.isAtEnd ? parameters : nil
    }

    private static func readValue(_ tokens: inout PlainJSONTokens) -> Slot? {
        guard let next = tokens.next else { return nil }
        switch next {
        case UInt8(ascii: "\""):
            guard let (start, stop) = tokens.readPlainString() else { return nil }
            return Slot(kind: .string, start: start, end: stop)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard let value = tokens.readInteger() else { return nil }
            return Slot(kind: .integer, start: value)
        case UInt8(ascii: "t"):
            return tokens.readWord("true") ? Slot(kind: .true) : nil
        case UInt8(ascii: "f"):
            return tokens.readWord("false") ? Slot(kind: .false) : nil
        case UInt8(ascii: "n"):
            return tokens.readWord("null") ? Slot(kind: .null) : nil
        case UInt8(ascii: "["):
            return readStringArray(&tokens)
        default:
            return nil
        }
    }

    /// `[` strings `]`, each string as ``PlainJSONTokens/readPlainString()`` reads it.
    private static func readStringArray(_ tokens: inout PlainJSONTokens) -> Slot? {
        tokens.index += 1  // past '['
        let start = tokens.index
        tokens.skipWhitespace()
        if tokens.take(UInt8(ascii: "]")) { return Slot(kind: .stringArray, start: start, end: tokens.index - 1) }
        while true {
            guard tokens.readPlainString() != nil else { return nil }
            tokens.skipWhitespace()
            if tokens.take(UInt8(ascii: "]")) { return Slot(kind: .stringArray, start: start, end: tokens.index - 1) }
            guard tokens.take(UInt8(ascii: ",")) else { return nil }
            tokens.skipWhitespace()
        }
    }
}
