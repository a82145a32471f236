/// A getnameinfo result: the host and service an address and port map to.
public struct NameInfo: Hashable, Sendable {
    public var host: String
    public var service: String

    public init(host: String, service: String) {
        self.host = host
        self.service = service
    }

    /// Reads a getnameinfo `result`; `nil` if `host` or `service` is missing.
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let host = object["host"]?.stringValue,
            let service = object["service"]?.stringValue
        else { return nil }
        self.init(host: host, service: service)
    }
}
