import ResolverCore

/// The replies one UDP stub socket wrote from the cache, kept as written, by question as
/// the client sent it (name in its letter case, type, class): a repeated question is
/// answered by copying the answer and authority sections back, TTLs counted down, instead
/// of asking the cache and encoding the records again — unbound's message cache, over the
/// one DNS cache of every front end.
///
/// An entry holds no authority of its own: it keeps the ``AnswerProvenance`` of the answer
/// it was written from, and the listener serves it only while
/// ``StubAnswering/stillHolds(_:now:)`` says every cache entry it came from is still there,
/// unchanged and live, and no `flush_cache`, reload or route change came since — the same
/// rule as ``ComposedAnswers``. It is never served from the last tenth of a TTL on (the full
/// path then sees the hit that asks for a refresh).
///
/// Event-loop confined (one per ``DNSStubUDPHandler``); no lock. Bounded by ``maxBytes``
/// and ``maxEntries``: a store past either empties it (it is only a shortcut). It does not
/// decide what to answer, keep failures, stale answers or anything not wholly from the cache.
struct StubWrittenAnswers {
    static let maxBytes = 1 << 20
    static let maxEntries = 4_096
    /// What an entry costs beyond its sections: the key, the provenance, the table's slot.
    static let entryOverhead = 160

    /// A question section as sent, hashed as one block.
    struct Question: Hashable {
        let bytes: [UInt8]

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    struct Entry {
        /// The answer and authority sections as written after the question (owner names
        /// point at the question at offset 12, so any query with this question can take them).
        let sections: [UInt8]
        /// Where each record's TTL is in `sections`.
        let ttlOffsets: [Int]
        let answerCount: Int
        let authorityCount: Int
        /// The answer they were written from (its rcode, status and records, for `stats` and
        /// `monitor`) and its provenance.
        let answer: StubAnswer
        let provenance: AnswerProvenance
    }

    private var entries: [Question: Entry] = [:]
    private(set) var bytes = 0

    var count: Int { entries.count }

    func entry(for question: [UInt8]) -> Entry? {
        entries[Question(bytes: question)]
    }

    mutating func remove(_ question: [UInt8]) {
        if let gone = entries.removeValue(forKey: Question(bytes: question)) { bytes -= Self.cost(gone) }
    }

    /// Keeps `reply` (as ``StubReplyEncoder`` wrote it for a query with `question`, not
    /// truncated) for `answer`, when the answer came wholly from the cache.
    mutating func store(question: [UInt8], reply: [UInt8], answer: StubAnswer) {
        guard let provenance = answer.provenance, reply.count >= StubQuery.headerLength else { return }
        let answerCount = Int(reply[6]) << 8 | Int(reply[7])
        let authorityCount = Int(reply[8]) << 8 | Int(reply[9])
        let start = StubQuery.headerLength + question.count
        guard let (end, ttlOffsets) = Self.records(answerCount + authorityCount, in: reply, from: start) else { return }
        var stored = answer
        stored.provenance = nil
        let entry = Entry(
            sections: Array(reply[start..<end]), ttlOffsets: ttlOffsets, answerCount: answerCount, authorityCount: authorityCount,
            answer: stored, provenance: provenance)
        remove(question)
        if bytes + Self.cost(entry) > Self.maxBytes || entries.count >= Self.maxEntries {
            entries.removeAll()
            bytes = 0
        }
        entries[Question(bytes: question)] = entry
        bytes += Self.cost(entry)
    }

    private static func cost(_ entry: Entry) -> Int {
        entryOverhead + entry.sections.count + 8 * entry.ttlOffsets.count + 32 * entry.provenance.dependencies.count
    }

    /// Walks `count` records from `start` as the encoder writes them (an owner name is a
    /// pointer or uncompressed labels): where they end, and each TTL's offset from `start`.
    private static func records(_ count: Int, in reply: [UInt8], from start: Int) -> (end: Int, ttlOffsets: [Int])? {
        var position = start
        var offsets: [Int] = []
        offsets.reserveCapacity(count)
        for _ in 0..<count {
            guard position < reply.count else { return nil }
            if reply[position] & 0xC0 == 0xC0 {
                position += 2
            } else {
                while position < reply.count, reply[position] != 0 { position += 1 + Int(reply[position]) }
                position += 1
            }
            guard position + 10 <= reply.count else { return nil }
            offsets.append(position + 4 - start)
            position += 10 + (Int(reply[position + 8]) << 8 | Int(reply[position + 9]))
        }
        return position <= reply.count ? (position, offsets) : nil
    }
}

extension StubReplyEncoder {
    /// The reply to a query with `head` made of a written entry, its TTLs counted down to
    /// `now`; nil when it is longer than `limit` (the full path then truncates it).
    static func reply(_ head: StubReplyHead, from entry: StubWrittenAnswers.Entry, now: UInt64, limit: Int) -> [UInt8]? {
        var head = head
        head.rcode = entry.answer.rcode
        var out: [UInt8] = []
        out.reserveCapacity(StubQuery.headerLength + (head.question?.count ?? 0) + entry.sections.count + 11)
        writeHeader(head, counts: (entry.answerCount, entry.authorityCount), truncated: false, to: &out)
        if let question = head.question { out += question }
        let start = out.count
        out += entry.sections
        let elapsed = MonotonicClock.secondsElapsed(from: entry.provenance.madeAt, to: now)
        if elapsed > 0 {
            for offset in entry.ttlOffsets {
                let at = start + offset
                let ttl = UInt32(out[at]) << 24 | UInt32(out[at + 1]) << 16 | UInt32(out[at + 2]) << 8 | UInt32(out[at + 3])
                let aged = ttl - min(ttl, elapsed)
                out[at] = UInt8(truncatingIfNeeded: aged >> 24)
                out[at + 1] = UInt8(truncatingIfNeeded: aged >> 16)
                out[at + 2] = UInt8(truncatingIfNeeded: aged >> 8)
                out[at + 3] = UInt8(truncatingIfNeeded: aged)
            }
        }
        appendOPT(head, to: &out)
        return out.count <= limit ? out : nil
    }
}
