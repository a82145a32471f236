/// The question of a DNS message — name, type and class — reduced to 64 bits, ASCII case
/// folded, so that ``UpstreamTraffic`` can tell apart two queries in flight with the same
/// id and match each reply to its own.
///
/// c-ares 1.18 draws a query's id at random without looking at the ids in flight, and tells
/// replies apart by id *and* question; with a thousand queries in flight on a channel, one
/// query in ~60 shares its id with another (a 5,000-lookup cold run: 59 of 10,000). Matching
/// by id alone counted each of those as a try that timed out — false failures that can take
/// a healthy upstream down under load.
///
/// It does not validate the message: anything it cannot read as a question (no question,
/// a label longer than 63 bytes, a message cut short) gives ``unknown``, which matches any.
enum DNSQuestionFingerprint {
    /// No question read: matches every fingerprint.
    static let unknown: UInt64 = 0

    static func of(_ message: UnsafeRawBufferPointer) -> UInt64 {
        // Header, at least the root name, type and class; a question count that is not 0.
        guard message.count >= 17, message[4] | message[5] != 0 else { return unknown }
        var end = 12
        while true {
            guard end < message.count else { return unknown }
            let length = Int(message[end])
            if length == 0 { break }
            // A pointer (0xC0) cannot occur: the question's name is the message's first.
            guard length < 64 else { return unknown }
            end += 1 + length
        }
        end += 5  // the root label, type and class
        guard end <= message.count else { return unknown }
        // Eight bytes at a time; OR 0x20 folds ASCII case (and maps other bytes alike on
        // both sides, which is all a fingerprint needs).
        let fold: UInt64 = 0x2020_2020_2020_2020
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var offset = 12
        while offset + 8 <= end {
            let word = message.loadUnaligned(fromByteOffset: offset, as: UInt64.self) | fold
            hash = (hash ^ word) &* 0x0000_0100_0000_01b3
            hash ^= hash >> 29
            offset += 8
        }
        var tail: UInt64 = UInt64(end - offset)
        while offset < end {
            tail = tail << 8 | UInt64(message[offset] | 0x20)
            offset += 1
        }
        hash = (hash ^ tail) &* 0x0000_0100_0000_01b3
        hash ^= hash >> 32
        return hash == unknown ? 1 : hash
    }

    /// Whether a reply with fingerprint `a` can answer a query with fingerprint `b`.
    @inline(__always)
    static func matches(_ a: UInt64, _ b: UInt64) -> Bool {
        a == b || a == unknown || b == unknown
    }
}
