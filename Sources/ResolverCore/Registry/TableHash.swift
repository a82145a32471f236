/// The hash a hash table asks of a key whose bits are already well spread or are not a
/// stranger's choice: the key's word and the table's seed, mixed by splitmix64's finalizer.
///
/// Swift's tables hash every probe with SipHash-1-3 (~95 instructions for one word); a cold
/// lookup probes ~45 times — the registry by handle, the questions in flight and the cache
/// by ``QuestionKey``, inserts, finds and the re-placing of a deletion's neighbours — so the
/// hashing alone was ~4,400 instructions of it (docs/performance.md, issue 25). This mix is
/// ~10.
///
/// It does not protect a table from a chosen-key flood by itself: use it only for words
/// that are already a keyed hash (``QuestionKey``'s, from `String.hashValue`, seeded per
/// process) or that the daemon issues itself (``LookupHandle``), never for a number a client
/// picks.
public enum TableHash {
    @inlinable
    public static func mix(_ word: UInt64, seed: Int) -> Int {
        var bits = word ^ UInt64(truncatingIfNeeded: seed)
        bits = (bits ^ (bits >> 30)) &* 0xBF58_476D_1CE4_E5B9
        bits = (bits ^ (bits >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: bits ^ (bits >> 31))
    }
}
