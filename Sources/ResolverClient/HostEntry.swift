/// A host entry from gethostbyname or gethostbyaddr, like Windows' `HOSTENT`.
public struct HostEntry: Hashable, Sendable {
    /// The official name.
    public var name: String
    public var aliases: [String]
    /// `inet` or `inet6`.
    public var family: String
    /// The addresses in text form.
    public var addresses: [String]

    public init(name: String, aliases: [String], family: String, addresses: [String]) {
        self.name = name
        self.aliases = aliases
        self.family = family
        self.addresses = addresses
    }

    /// Reads a host entry `result`; `nil` if a member is missing or of the wrong type.
    public init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue,
            let aliases = json["aliases"]?.stringArrayValue,
            let family = json["family"]?.stringValue,
            let addresses = json["addresses"]?.stringArrayValue
        else { return nil }
        self.init(name: name, aliases: aliases, family: family, addresses: addresses)
    }
}

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
