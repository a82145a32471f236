extension DNSMessage {
    /// The answer records that answer `name`: those owned by `name` itself or by a name its
    /// CNAME chain leads to (RFC 1034 §3.6.2), in the order the upstream sent them.
    ///
    /// Anything else in the answer section is dropped: an upstream (or a forger) must not be
    /// able to slip `evil.test A …` into the answer for `other.test`, where a caller and the
    /// daemon's cache would take it as part of that answer. Names compare case-insensitively;
    /// a chain longer than ``maxChainLength`` names is not followed further.
    func answers(chainedFrom name: String) -> [DNSRecord] {
        var chain: Set<String> = [DNSQuestion.canonical(name)]
        // Follow CNAMEs whatever order they come in; each round adds at least one name.
        for _ in 0..<Self.maxChainLength {
            var grew = false
            for record in answers {
                guard case .cname(let target) = record.data, chain.contains(DNSQuestion.canonical(record.name)) else { continue }
                grew = chain.insert(DNSQuestion.canonical(target)).inserted || grew
            }
            if !grew { break }
        }
        return answers.filter { chain.contains(DNSQuestion.canonical($0.name)) }
    }

    /// CNAME links followed at most (as many as glibc's resolver follows: 16).
    static let maxChainLength = 16
}
