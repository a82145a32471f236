/// Checks host names before they reach c-ares: what GetAddrInfoEx rejects with
/// WSAEINVAL (empty, over 253 characters, a label over 63, control characters).
///
/// It does not enforce LDH syntax: underscores (`_http._tcp`), and any printable
/// byte are legal in DNS names and in record queries.
enum DNSName {
    /// Why `name` cannot be looked up, or `nil` when it can. A single trailing dot
    /// (an absolute name) is allowed and not counted.
    static func validationError(_ name: String) -> String? {
        // Over the contiguous UTF-8 bytes: every question asked upstream is checked, and
        // walking a Substring's UTF-8 view cost ~50 instructions a byte.
        var name = name
        return name.withUTF8 { all -> String? in
            // A buffer, not a slice of one: a slice's iterator checks its bounds per byte.
            var length = all.count
            if length > 0, all[length - 1] == UInt8(ascii: ".") { length -= 1 }
            if length == 0 { return "the name is empty" }
            if length > 253 { return "the name is longer than 253 characters" }
            var labelLength = 0
            for byte in UnsafeBufferPointer(rebasing: all[..<length]) {
                if byte < 0x20 || byte == 0x7f { return "the name contains a control character" }
                if byte == UInt8(ascii: ".") {
                    if labelLength == 0 { return "the name has an empty label" }
                    labelLength = 0
                } else {
                    labelLength += 1
                    if labelLength > 63 { return "the name has a label longer than 63 characters" }
                }
            }
            return nil
        }
    }
}
