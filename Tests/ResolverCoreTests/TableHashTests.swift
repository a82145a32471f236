import Testing

@testable import ResolverCore

/// ``TableHash`` stands in for SipHash in the tables keyed by handles and question keys: it
/// must spread the resolver's sequential handles over a table's low bits, depend on the
/// table's seed, and let a one-bit change of the word reach every bit of the hash.
@Suite struct TableHashTests {
    @Test func sequentialHandlesFillATablesBucketsAsRandomKeysWould() {
        // 4,096 handles into 4,096 buckets (the low 12 bits): random keys leave ~1/e of the
        // buckets empty (1,507); a mix that kept the low bits as they are would leave none,
        // one that lost them most.
        for seed in [0, 1, Int.min, 0x5DEE_CE66_D1CE_4E5B] {
            var used = Set<Int>()
            for handle in UInt64(1)...4096 { used.insert(TableHash.mix(handle, seed: seed) & 4095) }
            let empty = 4096 - used.count
            #expect((1_350...1_670).contains(empty), "seed \(seed): \(empty) empty buckets")
        }
    }

    @Test func theTablesSeedChangesEveryHash() {
        for word in [UInt64(0), 1, 42, .max] {
            #expect(TableHash.mix(word, seed: 1) != TableHash.mix(word, seed: 2))
        }
    }

    @Test func oneFlippedBitOfTheWordFlipsAboutHalfTheHash() {
        // Avalanche: over every bit of 256 words, the mean number of output bits that change.
        // Words from Knuth's MMIX linear congruential generator, seeded with 25.
        var state: UInt64 = 25
        print("TableHashTests: words from seed \(state)")
        var flipped = 0
        var trials = 0
        for _ in 0..<256 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let word = state
            for bit in 0..<64 {
                let a = TableHash.mix(word, seed: 7), b = TableHash.mix(word ^ (1 << UInt64(bit)), seed: 7)
                flipped += (a ^ b).nonzeroBitCount
                trials += 1
            }
        }
        let mean = Double(flipped) / Double(trials)
        #expect((30.0...34.0).contains(mean), "mean bits flipped: \(mean)")
    }
}
