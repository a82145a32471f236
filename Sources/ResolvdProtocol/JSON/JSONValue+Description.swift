import NIOCore

extension JSONValue: CustomStringConvertible {
    /// The value as compact JSON text, for logs and test failures: the same as ``jsonText``.
    public var description: String {
        self.jsonText
    }
}

extension JSONValue {
    /// The value as compact JSON text, exactly as `ByteBuffer.writeJSONValue(_:)` writes it:
    /// no whitespace, object members in their order, never a newline.
    public var jsonText: String {
        var buffer = ByteBuffer()
        buffer.writeJSONValue(self)
        return String(buffer: buffer)
    }

    /// The same value with the members of every object in it, at any depth, sorted by key
    /// (`String` order), for text that must not depend on the order a peer wrote members in.
    public func withSortedKeys() -> JSONValue {
        switch self {
        case .array(let elements):
            return .array(elements.map { $0.withSortedKeys() })
        case .object(let object):
            let sorted = object.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value.withSortedKeys()) }
            return .object(JSONObject(uniqueMembers: sorted))
        default:
            return self
        }
    }
}
