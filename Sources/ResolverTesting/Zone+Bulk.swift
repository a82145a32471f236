extension Zone {
    /// bulk.test.: names whose answers are large, for the bounds against clients that make
    /// the daemon hold many replies (docs/reliability.md).
    ///
    /// - `large.bulk.test TXT`: ``largeTXTRecords`` records of ``largeTXTStrings`` strings of
    ///   250 bytes each — about 48 KB of answer, over TCP only.
    /// - `medium.bulk.test TXT`: one record of 8 such strings (2 KB).
    /// - `small.bulk.test A 192.0.2.7`.
    public static let bulk = Zone(origin: "bulk.test.", text: """
        $ORIGIN bulk.test.
        $TTL 300
        @      300 IN SOA ns.bulk.test. hostmaster.bulk.test. 2026112901 3600 600 86400 60
        @      300 IN NS  ns.bulk.test.
        ns     300 IN A   127.0.0.1
        small  300 IN A   192.0.2.7

        """
        + (0..<largeTXTRecords).map { record in "large  300 IN TXT \(txtStrings(count: largeTXTStrings, tag: record))\n" }.joined()
        + "medium 300 IN TXT \(txtStrings(count: 8, tag: 0))\n")

    public static let largeTXTRecords = 4
    public static let largeTXTStrings = 48

    /// `count` quoted 250-byte strings, distinct per record (`tag`) so that no two records are equal.
    private static func txtStrings(count: Int, tag: Int) -> String {
        (0..<count).map { index in
            let prefix = "r\(tag)s\(index)-"
            return "\"" + prefix + String(repeating: "x", count: 250 - prefix.count) + "\""
        }.joined(separator: " ")
    }
}
