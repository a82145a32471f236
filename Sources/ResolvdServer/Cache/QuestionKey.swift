import ResolverCore

/// A DNS question as the cache and the coalescing table compare it: the name in canonical
/// form (lower case, no trailing dot) and the record type, class IN. Type 0 (which no
/// question asks) keys a name's "no such name" entry, which answers every type of the name
/// (RFC 2308 §5).
///
/// Its hash is computed once: the table and the cache look one key up several times per
/// lookup, and hashing the name's bytes each time showed in profiles. The name's own hash is
/// kept too, so that the keys of the same name's other types — the cache looks up a name's
/// "no such name" and CNAME entries on every miss — hash no bytes at all.
struct QuestionKey: Hashable, Sendable, CustomStringConvertible {
    let name: String
    let type: UInt16
    /// The route that asks it (``Route/id``, docs/routing.md): the same name may differ behind
    /// a VPN's server and the public one, so their answers are kept apart. 0: the default.
    let route: UInt32
    /// A DNSSEC question's DO and CD (``DNSQuestion/dnssec``): it coalesces only with the same
    /// bits, and the cache never holds it (its replies are passed through, not stored).
    let dnssec: UInt8
    private let nameHash: Int
    private let hash: Int

    init(canonicalName name: String, type: UInt16, route: UInt32 = 0, dnssec: UInt8 = 0) {
        self.init(name, nameHash: name.hashValue, type: type, route: route, dnssec: dnssec)
    }

    private init(_ name: String, nameHash: Int, type: UInt16, route: UInt32, dnssec: UInt8) {
        self.name = name
        self.type = type
        self.route = route
        self.dnssec = dnssec
        self.nameHash = nameHash
        // Mixed, not hashed: `hash(into:)` feeds it to the table's seeded hasher anyway.
        self.hash = nameHash &+ Int(type) &* 0x1F35_A7BD_3C6E_4F29 &+ Int(route) &* 0x6C62_272E_07BB_0142 &+ Int(dnssec) &* 0x2545_F491_4F6C_DD1D
    }

    init(_ question: DNSQuestion, route: UInt32 = 0) {
        self.init(canonicalName: DNSQuestion.canonical(question.name), type: question.type, route: route, dnssec: question.dnssec.rawValue)
    }

    /// The key of the same route for another name or type (a CNAME link's, its target's).
    func sibling(_ name: String, type: UInt16) -> QuestionKey {
        name == self.name ? withType(type) : QuestionKey(canonicalName: name, type: type, route: route, dnssec: dnssec)
    }

    /// The key of the same name and route for another type: no bytes hashed.
    func withType(_ type: UInt16) -> QuestionKey { QuestionKey(name, nameHash: nameHash, type: type, route: route, dnssec: dnssec) }

    /// The key of the "no such name" entry of `name` (canonical), on this key's route.
    func nameError(_ name: String) -> QuestionKey { sibling(name, type: 0) }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    /// What a table asks a key for: its mixed hash and the table's seed, mixed again
    /// (``TableHash``, ~10 instructions) rather than SipHashed (~95; a `Hasher` built per probe
    /// was ~180). A cold lookup probes ~40 times: the cache's entries, the questions in
    /// flight, their removal. The name's part is `String.hashValue`, SipHash keyed per
    /// process, so a client cannot choose names that collide.
    func _rawHashValue(seed: Int) -> Int { TableHash.mix(UInt64(truncatingIfNeeded: hash), seed: seed) }

    static func == (lhs: QuestionKey, rhs: QuestionKey) -> Bool {
        lhs.hash == rhs.hash && lhs.type == rhs.type && lhs.route == rhs.route && lhs.dnssec == rhs.dnssec && lhs.name == rhs.name
    }

    var typeName: String { type == 0 ? "ANY" : DNSQuestion(name: name, type: type).typeName }
    var description: String { "\(name) \(typeName)" }
}
