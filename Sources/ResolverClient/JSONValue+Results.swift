// Readers the typed results share, on top of the accessors ResolvdProtocol's JSONValue has.

extension JSONValue {
    /// The elements as strings, if this is an array of strings only.
    public var stringArrayValue: [String]? {
        guard let array = arrayValue else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(array.count)
        for element in array {
            guard let string = element.stringValue else { return nil }
            strings.append(string)
        }
        return strings
    }
}

extension JSONObject {
    /// The member `key` as an `Int`, if it is an integer (as `JSONValue.intValue` reads one) that fits.
    func int(_ key: String) -> Int? {
        self[key]?.intValue.flatMap { Int(exactly: $0) }
    }
}
