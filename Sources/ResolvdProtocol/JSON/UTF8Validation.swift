/// Strict UTF-8 well-formedness (Unicode table 3-7): no overlong forms, no surrogates,
/// nothing above U+10FFFF, no truncated sequences. Used by ``JSONReader`` only for strings that
/// contain non-ASCII bytes; it reports where the first bad sequence starts, which the standard
/// library's validating initialisers do not.
enum UTF8Validation {
    /// The offset of the first byte in `from..<to` that starts an ill-formed sequence, or `nil`
    /// when the range is well-formed UTF-8.
    static func firstInvalidByte(_ base: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int? {
        @inline(__always)
        func isContinuation(_ position: Int) -> Bool {
            position < end && base[position] & 0xC0 == 0x80
        }
        var position = from
        while position < end {
            let lead = base[position]
            switch lead {
            case 0x00..<0x80:
                position += 1
                continue
            case 0xC2...0xDF:
                guard isContinuation(position + 1) else { return position }
                position += 2
            case 0xE0...0xEF:
                guard position + 1 < end else { return position }
                let second = base[position + 1]
                let secondRange: ClosedRange<UInt8> =
                    lead == 0xE0 ? 0xA0...0xBF : lead == 0xED ? 0x80...0x9F : 0x80...0xBF
                guard secondRange.contains(second), isContinuation(position + 2) else { return position }
                position += 3
            case 0xF0...0xF4:
                guard position + 1 < end else { return position }
                let second = base[position + 1]
                let secondRange: ClosedRange<UInt8> =
                    lead == 0xF0 ? 0x90...0xBF : lead == 0xF4 ? 0x80...0x8F : 0x80...0xBF
                guard secondRange.contains(second), isContinuation(position + 2), isContinuation(position + 3)
                else { return position }
                position += 4
            default:
                return position
            }
        }
        return nil
    }
}
