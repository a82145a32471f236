/// Whether a DNS reply is built as a DNS message: every name, question and record the
/// header counts lies within the bytes received, each name's labels are at most 63 bytes
/// and each compression pointer points back, before itself — so a pointer loop cannot be
/// built. ``UpstreamTraffic`` asks it of each UDP reply matched to its query: a reply that
/// fails it says the server (or the path) is broken, whatever the name asked, and counts
/// against the upstream's health (``UpstreamHealth``).
///
/// It does not read record data, follow pointers, check that names are the ones asked, or
/// judge a reply with TC set (a truncated reply may stop anywhere; its TCP retry decides).
/// TCP replies are not walked: only their headers are seen (``DNSStreamScanner``).
enum DNSMessageShape {
    static func isWellFormed(_ message: UnsafeRawBufferPointer) -> Bool {
        guard message.count >= 12 else { return false }
        if message[2] & 0x02 != 0 { return true }  // TC: judged by the TCP retry
        func count(_ offset: Int) -> Int { Int(message[offset]) << 8 | Int(message[offset + 1]) }
        var offset = 12
        for _ in 0..<count(4) {
            guard let end = nameEnd(message, from: offset), end + 4 <= message.count else { return false }
            offset = end + 4  // type, class
        }
        for _ in 0..<(count(6) + count(8) + count(10)) {
            guard let end = nameEnd(message, from: offset), end + 10 <= message.count else { return false }
            let dataLength = Int(message[end + 8]) << 8 | Int(message[end + 9])
            offset = end + 10 + dataLength  // type, class, TTL, RDLENGTH, RDATA
            guard offset <= message.count else { return false }
        }
        return true
    }

    /// The offset just after the name at `start`, or nil if it runs past the end, has an
    /// unknown label type, or holds a pointer that does not point back.
    private static func nameEnd(_ message: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var offset = start
        while offset < message.count {
            let length = Int(message[offset])
            if length == 0 { return offset + 1 }
            switch length & 0xc0 {
            case 0:
                offset += 1 + length
            case 0xc0:
                guard offset + 1 < message.count else { return nil }
                let target = (length & 0x3f) << 8 | Int(message[offset + 1])
                return target >= 12 && target < offset ? offset + 2 : nil
            default:
                return nil  // 0x40, 0x80: label types nobody sends
            }
        }
        return nil
    }
}
