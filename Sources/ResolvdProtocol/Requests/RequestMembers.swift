/// The members of one request object as ``RequestDecoder`` reads them: by ``Parameter``,
/// each found once, so that asking for an absent parameter is a bit test and finding the
/// members no op reads a mask compare, not a search by key.
///
/// It holds no opinion about what a request means (the decoder's), and does not check the
/// JSON (the reader that made it did).
protocol RequestMembers {
    /// The members whose keys are parameters, one ``Parameter/bit`` each, null ones included.
    var parameters: UInt32 { get }
    /// Whether some member's key names no ``Parameter``.
    var hasUnknownKey: Bool { get }
    /// The value of `parameter`'s member; only asked for a parameter in ``parameters``.
    func value(of parameter: Parameter) -> JSONValue
    /// The key of the first member, in member order, that names no parameter or one not in
    /// `used`: the error path's, so it may search.
    func firstKey(notIn used: UInt32) -> String?
    /// When `parameter`'s member (present) is a string: the case of `Case` whose raw value
    /// it is, or `.some(nil)` for none. Nil when it is not a string.
    func enumCase<Case: WireNamed>(of parameter: Parameter, as: Case.Type) -> Case??
}

extension RequestMembers {
    func enumCase<Case: WireNamed>(of parameter: Parameter, as: Case.Type) -> Case?? {
        guard case .string(let text) = value(of: parameter) else { return nil }
        return .some(Case(rawValue: text))
    }
}

/// A parsed ``JSONObject``'s members, mapped to parameters in one pass over its keys.
struct ObjectRequestMembers: RequestMembers {
    let object: JSONObject
    private(set) var parameters: UInt32 = 0
    private(set) var hasUnknownKey = false
    /// Each present parameter's member index, by ``Parameter/index``.
    private var positions = Parameter.Table<Int>(repeating: 0)

    init(_ object: JSONObject) {
        self.object = object
        for (position, member) in object.members.enumerated() {
            guard let parameter = Parameter(rawValue: member.key) else {
                hasUnknownKey = true
                continue
            }
            // Keys are unique (JSONObject), so each parameter is seen at most once.
            parameters |= parameter.bit
            positions[parameter.index] = position
        }
    }

    func value(of parameter: Parameter) -> JSONValue {
        object.members[positions[parameter.index]].value
    }

    func firstKey(notIn used: UInt32) -> String? {
        object.members.first { member in Parameter(rawValue: member.key).map { used & $0.bit == 0 } ?? true }?.key
    }
}
