/// The recursive-descent reader behind ``JSONParser``: walks a byte range once, keeping an
/// index and the current nesting depth. It borrows the bytes, so it must not outlive the
/// pointer it was made with.
struct JSONReader {
    private let base: UnsafePointer<UInt8>
    private let end: Int
    private let maxDepth: Int
    private var index = 0
    private var depth = 0

    init(base: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.base = base
        self.end = count
        self.maxDepth = maxDepth
    }

    /// One value surrounded by optional whitespace, and nothing else.
    mutating func readDocument() throws(JSONParseError) -> JSONValue {
        self.skipWhitespace()
        let value = try self.readValue()
        self.skipWhitespace()
        if self.index < self.end {
            throw .trailingCharacters(self.base[self.index], at: self.index)
        }
        return value
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while self.index < self.end {
            switch self.base[self.index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                self.index += 1
            default:
                return
            }
        }
    }

    private mutating func readValue() throws(JSONParseError) -> JSONValue {
        guard self.index < self.end else {
            throw .unexpectedEndOfInput(at: self.index)
        }
        switch self.base[self.index] {
        case UInt8(ascii: "\""):
            return .string(try self.readString())
        case UInt8(ascii: "{"):
            return try self.readObject()
        case UInt8(ascii: "["):
            return try self.readArray()
        case UInt8(ascii: "t"):
            try self.readLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.readLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.readLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try self.readNumber()
        case let byte:
            throw .unexpectedCharacter(byte, at: self.index)
        }
    }

    private mutating func readLiteral(_ literal: StaticString) throws(JSONParseError) {
        let expected = literal.utf8Start
        for offset in 0..<literal.utf8CodeUnitCount {
            guard self.index < self.end else {
                throw .unexpectedEndOfInput(at: self.index)
            }
            guard self.base[self.index] == expected[offset] else {
                throw .unexpectedCharacter(self.base[self.index], at: self.index)
            }
            self.index += 1
        }
    }

    // MARK: Containers

    private mutating func enterContainer() throws(JSONParseError) {
        self.depth += 1
        if self.depth > self.maxDepth {
            throw .nestingTooDeep(limit: self.maxDepth, at: self.index)
        }
        self.index += 1  // past '[' or '{'
    }

    private mutating func readArray() throws(JSONParseError) -> JSONValue {
        try self.enterContainer()
        self.skipWhitespace()
        if self.index < self.end && self.base[self.index] == UInt8(ascii: "]") {
            self.index += 1
            self.depth -= 1
            return .array([])
        }
        // Growing from empty reallocates at 1, 2, 4...; protocol arrays are short.
        var elements: [JSONValue] = []
        elements.reserveCapacity(4)
        while true {
            elements.append(try self.readValue())
            self.skipWhitespace()
            guard self.index < self.end else {
                throw .unexpectedEndOfInput(at: self.index)
            }
            switch self.base[self.index] {
            case UInt8(ascii: ","):
                self.index += 1
                self.skipWhitespace()
            case UInt8(ascii: "]"):
                self.index += 1
                self.depth -= 1
                return .array(elements)
            case let byte:
                throw .unexpectedCharacter(byte, at: self.index)
            }
        }
    }

    private mutating func readObject() throws(JSONParseError) -> JSONValue {
        try self.enterContainer()
        self.skipWhitespace()
        if self.index < self.end && self.base[self.index] == UInt8(ascii: "}") {
            self.index += 1
            self.depth -= 1
            return .object(JSONObject())
        }
        // Room for a typical request up front, instead of reallocating at 1, 2, 4...
        var members: [JSONObject.Member] = []
        members.reserveCapacity(8)
        // Small objects are checked for repeated keys by a linear scan; past this many members
        // a set takes over, so a hostile object with thousands of keys stays linear.
        let linearScanLimit = 16
        var keySet = Set<String>()
        while true {
            guard self.index < self.end else {
                throw .unexpectedEndOfInput(at: self.index)
            }
            guard self.base[self.index] == UInt8(ascii: "\"") else {
                throw .unexpectedCharacter(self.base[self.index], at: self.index)
            }
            let keyOffset = self.index
            let key = try self.readString()
            if members.count < linearScanLimit {
                for member in members where member.key == key {
                    throw .duplicateKey(key, at: keyOffset)
                }
            } else {
                if keySet.isEmpty {
                    keySet = Set(members.lazy.map(\.key))
                }
                guard keySet.insert(key).inserted else {
                    throw .duplicateKey(key, at: keyOffset)
                }
            }

            self.skipWhitespace()
            guard self.index < self.end else {
                throw .unexpectedEndOfInput(at: self.index)
            }
            guard self.base[self.index] == UInt8(ascii: ":") else {
                throw .unexpectedCharacter(self.base[self.index], at: self.index)
            }
            self.index += 1
            self.skipWhitespace()
            members.append((key, try self.readValue()))

            self.skipWhitespace()
            guard self.index < self.end else {
                throw .unexpectedEndOfInput(at: self.index)
            }
            switch self.base[self.index] {
            case UInt8(ascii: ","):
                self.index += 1
                self.skipWhitespace()
            case UInt8(ascii: "}"):
                self.index += 1
                self.depth -= 1
                return .object(JSONObject(uniqueMembers: members))
            case let byte:
                throw .unexpectedCharacter(byte, at: self.index)
            }
        }
    }

    // MARK: Strings

    /// Reads a string starting at its opening quote and leaves the index after the closing one.
    private mutating func readString() throws(JSONParseError) -> String {
        let quote = self.index
        let start = quote + 1
        var position = start
        var sawNonASCII = false
        // Fast path: no escapes, so the String is made straight from the input bytes.
        while true {
            guard position < self.end else {
                throw .unterminatedString(at: quote)
            }
            let byte = self.base[position]
            if byte == UInt8(ascii: "\"") {
                break
            }
            if byte == UInt8(ascii: "\\") {
                return try self.readEscapedString(quote: quote, escapeAt: position, sawNonASCII: sawNonASCII)
            }
            if byte < 0x20 {
                throw .controlCharacterInString(byte, at: position)
            }
            sawNonASCII = sawNonASCII || byte >= 0x80
            position += 1
        }
        if sawNonASCII, let bad = UTF8Validation.firstInvalidByte(self.base, from: start, to: position) {
            throw .invalidUTF8(at: bad)
        }
        self.index = position + 1
        return String(decoding: UnsafeBufferPointer(start: self.base + start, count: position - start), as: UTF8.self)
    }

    /// The slow path of ``readString()``: the string has an escape at `escapeAt`. Decodes into a
    /// byte array; the raw input is validated as UTF-8 as a whole, since escapes are ASCII and
    /// cannot split a multi-byte sequence.
    private mutating func readEscapedString(
        quote: Int,
        escapeAt firstEscape: Int,
        sawNonASCII: Bool
    ) throws(JSONParseError) -> String {
        let start = quote + 1
        var sawNonASCII = sawNonASCII
        var decoded: [UInt8] = []
        decoded.reserveCapacity(firstEscape - start + 16)
        decoded.append(contentsOf: UnsafeBufferPointer(start: self.base + start, count: firstEscape - start))
        var position = firstEscape
        while true {
            guard position < self.end else {
                throw .unterminatedString(at: quote)
            }
            let byte = self.base[position]
            switch byte {
            case UInt8(ascii: "\""):
                if sawNonASCII, let bad = UTF8Validation.firstInvalidByte(self.base, from: start, to: position) {
                    throw .invalidUTF8(at: bad)
                }
                self.index = position + 1
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                position = try self.readEscape(at: position, into: &decoded, quote: quote)
            case 0..<0x20:
                throw .controlCharacterInString(byte, at: position)
            default:
                sawNonASCII = sawNonASCII || byte >= 0x80
                decoded.append(byte)
                position += 1
            }
        }
    }

    /// Decodes the escape whose backslash is at `position`, appends its UTF-8 to `decoded` and
    /// returns the position after it.
    private func readEscape(
        at position: Int,
        into decoded: inout [UInt8],
        quote: Int
    ) throws(JSONParseError) -> Int {
        guard position + 1 < self.end else {
            throw .unterminatedString(at: quote)
        }
        let replacement: UInt8
        switch self.base[position + 1] {
        case UInt8(ascii: "\""): replacement = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): replacement = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): replacement = UInt8(ascii: "/")
        case UInt8(ascii: "b"): replacement = 0x08
        case UInt8(ascii: "f"): replacement = 0x0C
        case UInt8(ascii: "n"): replacement = 0x0A
        case UInt8(ascii: "r"): replacement = 0x0D
        case UInt8(ascii: "t"): replacement = 0x09
        case UInt8(ascii: "u"):
            return try self.readUnicodeEscape(at: position, into: &decoded)
        default:
            throw .invalidEscape(at: position)
        }
        decoded.append(replacement)
        return position + 2
    }

    /// `\uXXXX`, or a surrogate pair `\uD8XX\uDCXX`, at `position`.
    private func readUnicodeEscape(at position: Int, into decoded: inout [UInt8]) throws(JSONParseError) -> Int {
        let first = try self.readHex4(at: position)
        let scalar: Unicode.Scalar
        var next = position + 6
        switch first {
        case 0xD800...0xDBFF:
            guard next + 1 < self.end,
                self.base[next] == UInt8(ascii: "\\"),
                self.base[next + 1] == UInt8(ascii: "u")
            else {
                throw .loneSurrogate(at: position)
            }
            let second = try self.readHex4(at: next)
            guard (0xDC00...0xDFFF).contains(second) else {
                throw .loneSurrogate(at: position)
            }
            next += 6
            let value = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            scalar = Unicode.Scalar(value)!
        case 0xDC00...0xDFFF:
            throw .loneSurrogate(at: position)
        default:
            scalar = Unicode.Scalar(first)!
        }
        decoded.append(contentsOf: UTF8.encode(scalar)!)
        return next
    }

    /// The four hex digits of the `\u` escape whose backslash is at `position`.
    private func readHex4(at position: Int) throws(JSONParseError) -> UInt16 {
        guard position + 6 <= self.end else {
            throw .invalidEscape(at: position)
        }
        var value: UInt16 = 0
        for offset in 2..<6 {
            let byte = self.base[position + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: throw .invalidEscape(at: position)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    // MARK: Numbers

    @inline(__always)
    private func isDigit(at position: Int) -> Bool {
        position < self.end && self.base[position] &- UInt8(ascii: "0") < 10
    }

    private mutating func readNumber() throws(JSONParseError) -> JSONValue {
        let start = self.index
        var position = start
        let negative = self.base[position] == UInt8(ascii: "-")
        if negative {
            position += 1
        }
        guard position < self.end else {
            throw .unexpectedEndOfInput(at: position)
        }
        switch self.base[position] {
        case UInt8(ascii: "0"):
            position += 1
            if self.isDigit(at: position) {
                throw .leadingZero(at: position - 1)
            }
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            position += 1
            while self.isDigit(at: position) { position += 1 }
        case let byte:
            throw .unexpectedCharacter(byte, at: position)
        }
        let integerEnd = position
        var isInteger = true

        if position < self.end && self.base[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard self.isDigit(at: position) else { throw .expectedDigit(at: position) }
            while self.isDigit(at: position) { position += 1 }
        }
        if position < self.end && (self.base[position] | 0x20) == UInt8(ascii: "e") {
            isInteger = false
            position += 1
            if position < self.end
                && (self.base[position] == UInt8(ascii: "+") || self.base[position] == UInt8(ascii: "-"))
            {
                position += 1
            }
            guard self.isDigit(at: position) else { throw .expectedDigit(at: position) }
            while self.isDigit(at: position) { position += 1 }
        }
        self.index = position

        let digitsStart = negative ? start + 1 : start
        if isInteger, let value = self.int64(digitsFrom: digitsStart, to: integerEnd, negative: negative) {
            return .integer(value)
        }
        // Rare on the protocol's hot path; the standard library's conversion rounds correctly.
        let literal = UnsafeBufferPointer(start: self.base + start, count: position - start)
        let text = String(decoding: literal, as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw .numberOutOfRange(at: start)
        }
        return .double(value)
    }

    /// The digits in `from..<to` as an Int64, or `nil` when they do not fit. Accumulates
    /// negatively so that Int64.min fits.
    private func int64(digitsFrom from: Int, to: Int, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for position in from..<to {
            let digit = Int64(self.base[position] &- UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            if overflow1 || overflow2 {
                return nil
            }
            value = next
        }
        if negative {
            return value
        }
        return value == .min ? nil : -value
    }
}
