// Domain names in wire format (RFC 1035 §3.1, §4.1.4): validation, then text.
//
// A name is read in two passes over the buffer. `scanName` follows the labels and
// compression pointers, checks everything, and measures the escaped text; `buildName`
// walks the same (now known-good) labels again and writes the text straight into a
// `String` of exactly that size. No per-label arrays; names of up to 15 characters are
// small strings and allocate nothing.

extension DNSMessageParser {
    /// The most compression pointers one name may follow. Targets strictly decrease, so this
    /// only bounds long chains of pointers to pointers.
    static let maximumPointerJumps = 128
    /// The most bytes a name may take in wire format (RFC 1035 §3.1), final zero included.
    static let maximumNameWireLength = 255

    /// A name that `scanName` checked.
    struct ScannedName {
        /// Where the name starts (the first label or pointer).
        var start: Int
        /// The position just after the name where it was found: after its final zero byte, or
        /// after its first compression pointer.
        var end: Int
        /// The length of its text, escapes included. 0 for the root name.
        var textLength: Int
        /// Whether some byte needs escaping (if not, labels are copied as they are).
        var needsEscaping: Bool
    }

    /// Checks the name at `start` and measures its text.
    ///
    /// Until the first compression pointer, the name must lie before `limit` (the end of the
    /// RDATA it is in, or the end of the message); running past an RDATA's end is
    /// ``DNSMessage/ParseError/rdataLengthMismatch``, past the message's end
    /// ``DNSMessage/ParseError/truncated``. A pointer must point strictly before the start of
    /// the run of labels it ends, so pointer targets strictly decrease and cannot loop.
    func scanName(at start: Int, limit: Int) throws(ParseError) -> ScannedName {
        var position = start
        var limit = limit
        var runStart = start
        var end = -1
        var wireLength = 1 // the final zero byte
        var plainLength = 0 // the text length without escapes: labels and dots
        var escapeLength = 0 // what escaping adds to it
        var jumps = 0

        while true {
            guard position < limit else { throw overrun(limit: limit, at: position) }
            let lengthByte = bytes[position]
            if lengthByte == 0 {
                if end < 0 { end = position + 1 }
                break
            }
            switch lengthByte & 0xC0 {
            case 0x00:
                let labelLength = Int(lengthByte)
                let labelStart = position + 1
                let labelEnd = labelStart + labelLength
                guard labelEnd <= limit else { throw overrun(limit: limit, at: position) }
                if wireLength > 1 { plainLength += 1 } // the dot before every label but the first
                plainLength += labelLength
                wireLength += 1 + labelLength
                guard wireLength <= Self.maximumNameWireLength else { throw ParseError.nameTooLong.at(start) }
                for i in labelStart..<labelEnd {
                    escapeLength &+= Self.escapeOverhead(bytes[i])
                }
                position = labelEnd

            case 0xC0:
                guard position + 1 < limit else { throw overrun(limit: limit, at: position) }
                let target = Int(lengthByte & 0x3F) << 8 | Int(bytes[position + 1])
                if end < 0 { end = position + 2 }
                guard target < position else { throw ParseError.forwardPointer.at(position) }
                guard target < runStart else { throw ParseError.pointerLoop.at(position) }
                jumps += 1
                guard jumps <= Self.maximumPointerJumps else { throw ParseError.pointerLoop.at(position) }
                position = target
                runStart = target
                limit = count

            default: // 0x40, 0x80: extended label types (RFC 6891 §5 deprecates them), or a length > 63
                throw ParseError.labelTooLong.at(position)
            }
        }
        return ScannedName(start: start, end: end, textLength: plainLength + escapeLength, needsEscaping: escapeLength != 0)
    }

    private func overrun(limit: Int, at position: Int) -> ParseError {
        limit < count ? ParseError.rdataLengthMismatch.at(position) : ParseError.truncated.at(position)
    }

    /// The text of a name `scanName` checked: labels joined by ".", no trailing dot, bytes
    /// escaped as `dig` does; `""` for the root name.
    func buildName(_ name: ScannedName) -> String {
        guard name.textLength > 0 else { return "" }
        return String(unsafeUninitializedCapacity: name.textLength) { buffer in
            var out = 0
            var position = name.start
            while true {
                let lengthByte = bytes[position]
                if lengthByte == 0 { break }
                if lengthByte & 0xC0 == 0xC0 {
                    position = Int(lengthByte & 0x3F) << 8 | Int(bytes[position + 1])
                    continue
                }
                if out > 0 { // every label is at least one byte long, so out > 0 after the first
                    buffer[out] = UInt8(ascii: ".")
                    out += 1
                }
                let labelEnd = position + 1 + Int(lengthByte)
                if name.needsEscaping {
                    for i in (position + 1)..<labelEnd {
                        out = Self.writeEscaped(bytes[i], into: buffer, at: out)
                    }
                } else {
                    let label = UnsafeRawBufferPointer(rebasing: bytes[(position + 1)..<labelEnd])
                    UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + out, count: label.count).copyMemory(from: label)
                    out += label.count
                }
                position = labelEnd
            }
            return out
        }
    }

    /// How many more characters than one `byte` takes inside a label's text: 0, 1 for `\x`
    /// or 3 for `\DDD`.
    @inline(__always)
    static func escapeOverhead(_ byte: UInt8) -> Int {
        if byte &- 0x21 > 0x7E - 0x21 { return 3 } // outside 0x21...0x7E
        return isSpecial(byte) ? 1 : 0
    }

    /// The characters BIND's `dns_name_totext` (and so `dig`) escapes with a backslash:
    /// `"` `$` `(` `)` `.` `;` `@` `\`.
    @inline(__always)
    static func isSpecial(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x22, 0x24, 0x28, 0x29, 0x2E, 0x3B, 0x40, 0x5C: true
        default: false
        }
    }

    @inline(__always)
    static func writeEscaped(_ byte: UInt8, into buffer: UnsafeMutableBufferPointer<UInt8>, at index: Int) -> Int {
        var out = index
        if byte <= 0x20 || byte >= 0x7F {
            buffer[out] = UInt8(ascii: "\\")
            buffer[out + 1] = UInt8(ascii: "0") + byte / 100
            buffer[out + 2] = UInt8(ascii: "0") + (byte / 10) % 10
            buffer[out + 3] = UInt8(ascii: "0") + byte % 10
            out += 4
        } else if isSpecial(byte) {
            buffer[out] = UInt8(ascii: "\\")
            buffer[out + 1] = byte
            out += 2
        } else {
            buffer[out] = byte
            out += 1
        }
        return out
    }
}
