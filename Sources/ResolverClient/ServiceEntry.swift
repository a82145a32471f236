/// A service entry from getservbyname or getservbyport, like Windows' `SERVENT`.
public struct ServiceEntry: Hashable, Sendable {
    public var name: String
    public var aliases: [String]
    public var port: Int
    /// The protocol, such as `tcp`; `nil` if the daemon sent null.
    public var `protocol`: String?

    public init(name: String, aliases: [String], port: Int, protocol: String?) {
        self.name = name
        self.aliases = aliases
        self.port = port
        self.protocol = `protocol`
    }

    /// Reads a service entry `result`; `nil` if `name`, `aliases` or `port` is missing.
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let name = object["name"]?.stringValue,
            let aliases = object["aliases"]?.stringArrayValue,
            let port = object.int("port")
        else { return nil }
        self.init(name: name, aliases: aliases, port: port, protocol: object["proto"]?.stringValue)
    }
}
