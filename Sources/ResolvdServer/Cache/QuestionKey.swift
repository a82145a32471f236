import ResolverCore

/// A DNS question as the cache and the coalescing table compare it: the name in canonical
/// form (lower case, no trailing dot) and the record type, class IN. Type 0 (which no
/// question asks) keys a name's "no such name" entry, which answers every type of the name
/// (RFC 2308 §5).
///
/// Its hash is computed once: the table and the cache look one key up several times per
/// lookup, and hashing the name's bytes each time showed in profiles.
struct QuestionKey: Hashable, Sendable, CustomStringConvertible {
    let name: String
    let type: UInt16
    private let hash: Int

    init(canonicalName name: String, type: UInt16) {
        self.name = name
        self.type = type
        var hasher = Hasher()
        hasher.combine(name)
        hasher.combine(type)
        self.hash = hasher.finalize()
    }

    init(_ question: DNSQuestion) {
        self.init(canonicalName: DNSQuestion.canonical(question.name), type: question.type)
    }

    /// The key of the "no such name" entry of `name` (canonical).
    static func nameError(_ name: String) -> QuestionKey { QuestionKey(canonicalName: name, type: 0) }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    static func == (lhs: QuestionKey, rhs: QuestionKey) -> Bool {
        lhs.hash == rhs.hash && lhs.type == rhs.type && lhs.name == rhs.name
    }

    var typeName: String { type == 0 ? "ANY" : DNSQuestion(name: name, type: type).typeName }
    var description: String { "\(name) \(typeName)" }
}
