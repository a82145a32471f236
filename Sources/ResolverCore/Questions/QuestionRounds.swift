/// The questions of a ``LookupRecipe``, a round at a time: each round asks the same one or
/// two types (A, AAAA, or one record type) of one name — the search list's candidates in
/// order, or the one name.
///
/// Kept as names and types rather than as an array of arrays of questions: a lookup holds
/// its recipe while it waits, and the arrays were two allocations (120 bytes) per pending
/// lookup (docs/performance.md, row 7d). A question is made when it is asked. The first name
/// is kept apart so that a recipe of one round allocates nothing here.
///
/// It does not expand the search list (``Resolver/searchNames(for:)`` does) or check names.
public struct QuestionRounds: Sendable, Equatable {
    private let first: String
    private let others: [String]
    private let type: UInt16
    private let secondType: UInt16?

    /// `names` (at least one) each asked `types` (one or two).
    public init(names: [String], types: [UInt16]) {
        precondition(!names.isEmpty && (1...2).contains(types.count), "a recipe asks one or two types of at least one name")
        first = names[0]
        others = names.count > 1 ? Array(names.dropFirst()) : []  // an empty slice's copy allocates
        type = types[0]
        secondType = types.count > 1 ? types[1] : nil
    }

    /// One round of one question.
    public init(_ name: String, type: UInt16) {
        self.init(name, type: type, secondType: nil)
    }

    /// One round of one name, asked one type or two: no array made to say so.
    public init(_ name: String, type: UInt16, secondType: UInt16?) {
        first = name
        others = []
        self.type = type
        self.secondType = secondType
    }

    /// How many rounds.
    public var count: Int { 1 + others.count }

    /// How many questions each round asks.
    public var questionsPerRound: Int { secondType == nil ? 1 : 2 }

    /// The name round `round` asks.
    public func name(_ round: Int) -> String { round == 0 ? first : others[round - 1] }

    /// Question `index` of round `round`.
    public func question(_ round: Int, _ index: Int) -> DNSQuestion {
        DNSQuestion(name: name(round), type: index == 0 ? type : secondType!)
    }

    /// Round `round`'s questions, in order.
    public subscript(round: Int) -> [DNSQuestion] {
        (0..<questionsPerRound).map { question(round, $0) }
    }
}
