import ResolvdProtocol

/// Varlink for tests: the client half of https://varlink.org written for them, on
/// ``LineClient`` with NUL-terminated messages.
extension LineClient {
    /// A connection to a Varlink socket.
    public static func varlink(path: String) throws -> LineClient {
        try LineClient(path: path, terminator: 0)
    }

    /// Sends `{"method": method, "parameters": parameters, …}` and reads one reply.
    /// `parameters` is JSON text.
    public func varlinkCall(
        _ method: String, _ parameters: String = "{}", more: Bool = false, timeout: Duration = .seconds(10)
    ) -> JSONObject? {
        sendVarlinkCall(method, parameters, more: more)
        return reply(timeout: timeout)
    }

    /// Sends a call without waiting for its reply (pipelining).
    public func sendVarlinkCall(_ method: String, _ parameters: String = "{}", more: Bool = false, oneway: Bool = false) {
        var call = #"{"method":"\#(method)","parameters":\#(parameters)"#
        if more { call += #","more":true"# }
        if oneway { call += #","oneway":true"# }
        send(call + "}")
    }
}

extension JSONObject {
    /// A Varlink reply's `parameters`.
    public var varlinkParameters: JSONObject? { self["parameters"]?.objectValue }
    /// A Varlink error reply's error name.
    public var varlinkError: String? { self["error"]?.stringValue }
}
