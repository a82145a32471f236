/// One JSON value, as read by ``JSONParser`` and written by `ByteBuffer.writeJSONValue(_:)`.
///
/// Numbers keep the distinction the text makes: a literal without fraction or exponent that
/// fits `Int64` is ``integer(_:)``, every other number is ``double(_:)``. Equality follows the
/// case, so `.integer(1) != .double(1)`; use ``intValue`` or ``doubleValue`` to compare numerically.
///
/// This type does not track where in the input a value came from, and it cannot hold the
/// non-finite doubles JSON has no spelling for: writing one produces `null`.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

extension JSONValue {
    /// `true` for ``null``.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value of a ``bool(_:)``; `nil` for every other case.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value of an ``integer(_:)``, or of a ``double(_:)`` that is integral and within
    /// ±2^53 (so `1e3` and `7.0` read as integers); `nil` otherwise.
    public var intValue: Int64? {
        switch self {
        case .integer(let value):
            return value
        case .double(let value):
            let limit = 9_007_199_254_740_992.0  // 2^53
            guard value.rounded(.towardZero) == value, value >= -limit, value <= limit else { return nil }
            return Int64(value)
        default:
            return nil
        }
    }

    /// Any number as a `Double` (integers beyond ±2^53 are rounded); `nil` for non-numbers.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The value of a ``string(_:)``; `nil` for every other case.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements of an ``array(_:)``; `nil` for every other case.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members of an ``object(_:)``; `nil` for every other case.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }
}

extension JSONValue: ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(literalMembers: elements))
    }
}
