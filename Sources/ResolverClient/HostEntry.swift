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
        guard let object = json.objectValue,
            let name = object["name"]?.stringValue,
            let aliases = object["aliases"]?.stringArrayValue,
            let family = object["family"]?.stringValue,
            let addresses = object["addresses"]?.stringArrayValue
        else { return nil }
        self.init(name: name, aliases: aliases, family: family, addresses: addresses)
    }
}
