import NIOCore

/// Writing JSON text, compact (no whitespace between tokens), straight into a `ByteBuffer`.
///
/// These methods do not add the newline that ends a protocol line, and do not check that the
/// result is a complete document; that is the caller's framing.
extension ByteBuffer {
    /// Writes `string` as a quoted JSON string and returns the number of bytes written.
    ///
    /// Escapes `"`, `\` and the control characters below U+0020 (as `\n`, `\r`, `\t`, `\b`, `\f`,
    /// or `\u00XX`); all other UTF-8, including U+007F and non-ASCII, is copied as is.
    @discardableResult
    public mutating func writeJSONString(_ string: String) -> Int {
        self.writeJSONString(string, before: nil, after: nil)
    }

    /// Writes `value` as compact JSON text and returns the number of bytes written.
    /// Non-finite doubles, which JSON cannot express, are written as `null`.
    @discardableResult
    public mutating func writeJSONValue(_ value: JSONValue) -> Int {
        self.writeJSONValue(value, before: nil)
    }

    /// Writes `value` in decimal (a JSON number) and returns the number of bytes written.
    /// Integers up to 64 bits are formatted straight into the buffer without allocating.
    @discardableResult
    public mutating func writeJSONInteger<T: FixedWidthInteger>(_ value: T) -> Int {
        if T.bitWidth <= 64 {
            return self.writeDecimal(
                magnitude: UInt64(truncatingIfNeeded: value.magnitude),
                negative: value < 0,
                before: nil
            )
        }
        return self.writeString(String(value))
    }

    // Every ByteBuffer write pays for a capacity and uniqueness check, so the structural
    // punctuation (`[`, `{`, `,`, `:`) is written together with the string or number next to it
    // where possible: `before` is a byte to write first, `after` one to write last.

    private mutating func writeJSONValue(_ value: JSONValue, before: UInt8?) -> Int {
        switch value {
        case .null:
            return self.writeSeparator(before) + self.writeStaticString("null")
        case .bool(let value):
            return self.writeSeparator(before) + self.writeStaticString(value ? "true" : "false")
        case .integer(let value):
            return self.writeDecimal(magnitude: value.magnitude, negative: value < 0, before: before)
        case .double(let value):
            return self.writeSeparator(before) + self.writeJSONDouble(value)
        case .string(let value):
            return self.writeJSONString(value, before: before, after: nil)
        case .array(let elements):
            var written = self.writeSeparator(before)
            guard !elements.isEmpty else {
                return written + self.writeStaticString("[]")
            }
            var separator = UInt8(ascii: "[")
            for element in elements {
                written += self.writeJSONValue(element, before: separator)
                separator = UInt8(ascii: ",")
            }
            return written + self.writeInteger(UInt8(ascii: "]"))
        case .object(let object):
            var written = self.writeSeparator(before)
            guard !object.members.isEmpty else {
                return written + self.writeStaticString("{}")
            }
            var separator = UInt8(ascii: "{")
            for member in object.members {
                written += self.writeJSONString(member.key, before: separator, after: UInt8(ascii: ":"))
                written += self.writeJSONValue(member.value, before: nil)
                separator = UInt8(ascii: ",")
            }
            return written + self.writeInteger(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    private mutating func writeSeparator(_ byte: UInt8?) -> Int {
        guard let byte else { return 0 }
        return self.writeInteger(byte)
    }

    /// A double in the shortest form that reads back as the same value, or `null` when it is
    /// not finite. Integral values keep a fraction (`1000.0`), so they read back as doubles.
    @discardableResult
    mutating func writeJSONDouble(_ value: Double) -> Int {
        guard value.isFinite else {
            return self.writeStaticString("null")
        }
        return self.writeString(value.description)
    }

    private mutating func writeDecimal(magnitude: UInt64, negative: Bool, before: UInt8?) -> Int {
        var digitCount = 1
        var remaining = magnitude
        while remaining >= 10 {
            remaining /= 10
            digitCount += 1
        }
        let prefix = (before == nil ? 0 : 1) + (negative ? 1 : 0)
        let length = prefix + digitCount
        return self.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { bytes in
            var position = length
            var remaining = magnitude
            repeat {
                position -= 1
                bytes[position] = UInt8(truncatingIfNeeded: remaining % 10) &+ UInt8(ascii: "0")
                remaining /= 10
            } while remaining != 0
            if negative {
                bytes[prefix - 1] = UInt8(ascii: "-")
            }
            if let before {
                bytes[0] = before
            }
            return length
        }
    }

    private mutating func writeJSONString(_ string: String, before: UInt8?, after: UInt8?) -> Int {
        var string = string
        return string.withUTF8 { utf8 in
            self.writeJSONString(utf8: utf8, before: before, after: after)
        }
    }

    private mutating func writeJSONString(utf8: UnsafeBufferPointer<UInt8>, before: UInt8?, after: UInt8?) -> Int {
        @inline(__always)
        func needsEscape(_ byte: UInt8) -> Bool {
            byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
        }

        var firstEscape = 0
        while firstEscape < utf8.count && !needsEscape(utf8[firstEscape]) {
            firstEscape += 1
        }
        if firstEscape == utf8.count {
            // Fast path: nothing to escape, one copy between the quotes.
            let opening = before == nil ? 0 : 1
            let length = opening + utf8.count + 2 + (after == nil ? 0 : 1)
            return self.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { bytes in
                if let before {
                    bytes[0] = before
                }
                bytes[opening] = UInt8(ascii: "\"")
                if let source = utf8.baseAddress {
                    bytes.baseAddress!.advanced(by: opening + 1).copyMemory(from: source, byteCount: utf8.count)
                }
                bytes[opening + utf8.count + 1] = UInt8(ascii: "\"")
                if let after {
                    bytes[length - 1] = after
                }
                return length
            }
        }

        var written = self.writeSeparator(before) + self.writeInteger(UInt8(ascii: "\""))
        var runStart = 0
        var position = firstEscape
        while position < utf8.count {
            let byte = utf8[position]
            guard needsEscape(byte) else {
                position += 1
                continue
            }
            if runStart < position {
                let run = UnsafeBufferPointer(rebasing: utf8[runStart..<position])
                written += self.writeBytes(UnsafeRawBufferPointer(run))
            }
            written += self.writeJSONEscape(byte)
            position += 1
            runStart = position
        }
        if runStart < utf8.count {
            let run = UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count])
            written += self.writeBytes(UnsafeRawBufferPointer(run))
        }
        return written + self.writeInteger(UInt8(ascii: "\"")) + self.writeSeparator(after)
    }

    private mutating func writeJSONEscape(_ byte: UInt8) -> Int {
        let short: UInt8
        switch byte {
        case UInt8(ascii: "\""): short = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): short = UInt8(ascii: "\\")
        case 0x0A: short = UInt8(ascii: "n")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x09: short = UInt8(ascii: "t")
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        default:
            let hex: StaticString = "0123456789abcdef"
            let digits = hex.utf8Start
            return self.writeMultipleIntegers(
                UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]
            )
        }
        return self.writeMultipleIntegers(UInt8(ascii: "\\"), short)
    }
}
