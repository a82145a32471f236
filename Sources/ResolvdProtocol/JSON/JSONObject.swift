/// The members of a JSON object, in the order they were read or added.
///
/// Keys are unique: ``JSONParser`` rejects a document that repeats a key (a request with two
/// `"name"` members is ambiguous, and different JSON readers would pick different ones), and
/// setting an existing key through ``subscript(_:)`` replaces its value in place. Members live in
/// a small array, so lookups are linear: this is meant for protocol messages with a handful of
/// members, not for large maps.
///
/// Equality ignores member order, as JSON does: `{"a":1,"b":2}` equals `{"b":2,"a":1}`.
public struct JSONObject: Sendable {
    public typealias Member = (key: String, value: JSONValue)

    @usableFromInline
    internal var members: [Member]

    /// An empty object.
    public init() {
        self.members = []
    }

    /// An object with `members`, in order; when a key repeats, the last value wins and the
    /// member keeps the position of the first.
    public init(_ members: [Member]) {
        self.members = []
        self.members.reserveCapacity(members.count)
        for member in members {
            self[member.key] = member.value
        }
    }

    /// Members already known to have unique keys (the parser checks as it reads).
    internal init(uniqueMembers: [Member]) {
        self.members = uniqueMembers
    }

    /// For dictionary literals: like `Dictionary`, a repeated key is a programming error.
    internal init(literalMembers: [(String, JSONValue)]) {
        self.members = []
        self.members.reserveCapacity(literalMembers.count)
        for (key, value) in literalMembers {
            precondition(self.index(forKey: key) == nil, "duplicate key \"\(key)\" in a JSONObject literal")
            self.members.append((key, value))
        }
    }

    /// The value for `key`, or `nil` when there is no such member. Setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = self.index(forKey: key) else { return nil }
            return self.members[index].value
        }
        set {
            let index = self.index(forKey: key)
            switch (index, newValue) {
            case (.some(let index), .some(let value)):
                self.members[index].value = value
            case (.some(let index), .none):
                self.members.remove(at: index)
            case (.none, .some(let value)):
                self.members.append((key, value))
            case (.none, .none):
                break
            }
        }
    }

    /// The keys, in member order.
    public var keys: [String] {
        self.members.map(\.key)
    }

    /// The position of the member named `key`.
    public func index(forKey key: String) -> Int? {
        self.members.firstIndex { $0.key == key }
    }
}

extension JSONObject: RandomAccessCollection {
    public var startIndex: Int { self.members.startIndex }
    public var endIndex: Int { self.members.endIndex }
    public var count: Int { self.members.count }
    public subscript(position: Int) -> Member { self.members[position] }
}

extension JSONObject: Hashable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for member in lhs.members {
            guard rhs[member.key] == member.value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, to agree with ==: sum the members' own hashes.
        var sum = 0
        for member in self.members {
            var memberHasher = Hasher()
            memberHasher.combine(member.key)
            memberHasher.combine(member.value)
            sum &+= memberHasher.finalize()
        }
        hasher.combine(self.members.count)
        hasher.combine(sum)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(literalMembers: elements)
    }
}
