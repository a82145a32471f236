/// Finds the DNS messages in a TCP byte stream (each one a 2-byte length, then the
/// message) as it goes by in pieces of any size, and reports each message's header: id
/// and the two flag bytes.
///
/// It keeps nothing but its position: no buffering, no validation beyond the framing.
struct DNSStreamScanner {
    /// Bytes of the current frame seen so far, the 2-byte length included.
    private var position = 0
    private var length = 0
    /// The first four bytes of the message, as they arrive.
    private var header: UInt32 = 0

    mutating func consume(_ bytes: UnsafeRawBufferPointer, _ message: (_ id: UInt16, _ flags1: UInt8, _ flags2: UInt8) -> Void) {
        var index = 0
        while index < bytes.count {
            if position < 2 {
                length = length << 8 | Int(bytes[index])
                position += 1
                index += 1
            } else if position < 6 && position - 2 < length {
                header = header << 8 | UInt32(bytes[index])
                position += 1
                index += 1
                if position == 6 {
                    message(UInt16(truncatingIfNeeded: header >> 16), UInt8(truncatingIfNeeded: header >> 8), UInt8(truncatingIfNeeded: header))
                }
            } else {
                let skip = min(bytes.count - index, length + 2 - position)
                index += skip
                position += skip
            }
            if position >= 2 && position == length + 2 {
                position = 0
                length = 0
                header = 0
            }
        }
    }
}
