/// A protocol entry from getprotobyname or getprotobynumber, like Windows' `PROTOENT`.
public struct ProtocolEntry: Hashable, Sendable {
    public var name: String
    public var aliases: [String]
    public var number: Int

    public init(name: String, aliases: [String], number: Int) {
        self.name = name
        self.aliases = aliases
        self.number = number
    }

    /// Reads a protocol entry `result`; `nil` if a member is missing or of the wrong type.
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let name = object["name"]?.stringValue,
            let aliases = object["aliases"]?.stringArrayValue,
            let number = object.int("number")
        else { return nil }
        self.init(name: name, aliases: aliases, number: number)
    }
}
