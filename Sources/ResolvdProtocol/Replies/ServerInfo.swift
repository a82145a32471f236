/// What the `hello` op says about the daemon.
public struct ServerInfo: Hashable, Sendable {
    /// `resolvd`.
    public var server: String
    public var version: String
    /// The protocol version, 1.
    public var protocolVersion: Int
    /// The ops the daemon accepts.
    public var ops: [String]

    public init(server: String, version: String, protocolVersion: Int, ops: [String]) {
        self.server = server
        self.version = version
        self.protocolVersion = protocolVersion
        self.ops = ops
    }

    /// Reads a `hello` result; `nil` if `server` or `protocol` is missing. A missing
    /// `version` reads as empty, missing `ops` as none.
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let server = object["server"]?.stringValue,
            let protocolVersion: Int = object.integer("protocol")
        else {
            return nil
        }
        self.init(
            server: server,
            version: object["version"]?.stringValue ?? object["version"]?.description ?? "",
            protocolVersion: protocolVersion,
            ops: object["ops"]?.stringArrayValue ?? []
        )
    }
}

extension ServerInfo: JSONWritable {
    /// `{"server":"…","version":"…","protocol":n,"ops":[…]}`, as the daemon answers `hello`.
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"server\":")
        sink.string(server)
        sink.raw(",\"version\":")
        sink.string(version)
        sink.raw(",\"protocol\":")
        sink.integer(protocolVersion)
        sink.raw(",\"ops\":")
        sink.strings(ops)
        sink.raw("}")
    }
}
