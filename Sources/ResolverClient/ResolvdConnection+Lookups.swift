/// Typed forms of the lookup and control ops. Each sends one request through
/// ``ResolvdConnection/request(op:params:)`` (so task cancellation sends `cancel`),
/// throws ``ResolvdError`` for a failure status and
/// ``ResolvdConnectionError/unexpectedResult(op:line:)`` for a result of the wrong shape.
extension ResolvdConnection {
    /// Resolves a name and service to addresses (GetAddrInfoEx).
    public func getAddrInfo(
        name: String,
        service: String? = nil,
        family: LookupFamily? = nil,
        socketType: LookupSocketType? = nil,
        protocol: LookupProtocol? = nil,
        flags: [AddressInfoFlag] = [],
        timeoutMilliseconds: Int? = nil
    ) async throws -> AddressInfoResult {
        var params: [String: JSONValue] = ["name": .string(name)]
        params["service"] = service.map { .string($0) }
        params["family"] = family.map { .string($0.rawValue) }
        params["socktype"] = socketType.map { .string($0.rawValue) }
        params["protocol"] = `protocol`.map { .string($0.rawValue) }
        if !flags.isEmpty { params["flags"] = .array(flags.map { .string($0.rawValue) }) }
        params["timeout_ms"] = timeoutMilliseconds.map { .integer(Int64($0)) }
        return try await typedRequest(op: "getaddrinfo", params: params, AddressInfoResult.init(json:))
    }

    /// Maps an address and port to a host and service name (GetNameInfoW).
    public func getNameInfo(
        address: String,
        port: Int? = nil,
        flags: [NameInfoFlag] = [],
        timeoutMilliseconds: Int? = nil
    ) async throws -> NameInfo {
        var params: [String: JSONValue] = ["address": .string(address)]
        params["port"] = port.map { .integer(Int64($0)) }
        if !flags.isEmpty { params["flags"] = .array(flags.map { .string($0.rawValue) }) }
        params["timeout_ms"] = timeoutMilliseconds.map { .integer(Int64($0)) }
        return try await typedRequest(op: "getnameinfo", params: params, NameInfo.init(json:))
    }

    /// Looks up the records of one type at a name (DnsQuery).
    public func query(name: String, type: RecordType, timeoutMilliseconds: Int? = nil) async throws -> [QueryRecord] {
        var params: [String: JSONValue] = ["name": .string(name), "type": .string(type.rawValue)]
        params["timeout_ms"] = timeoutMilliseconds.map { .integer(Int64($0)) }
        return try await typedRequest(op: "query", params: params) { result in
            guard let elements = result.objectValue?["records"]?.arrayValue else { return nil }
            var records: [QueryRecord] = []
            for element in elements {
                guard let record = QueryRecord(json: element) else { return nil }
                records.append(record)
            }
            return records
        }
    }

    /// Looks up a host by name (WSAAsyncGetHostByName).
    public func hostByName(_ name: String, family: LookupFamily? = nil, bufferLength: Int? = nil) async throws -> HostEntry {
        var params: [String: JSONValue] = ["name": .string(name)]
        params["family"] = family.map { .string($0.rawValue) }
        params["buflen"] = bufferLength.map { .integer(Int64($0)) }
        return try await typedRequest(op: "gethostbyname", params: params, HostEntry.init(json:))
    }

    /// Looks up a host by address (WSAAsyncGetHostByAddr).
    public func hostByAddress(_ address: String, bufferLength: Int? = nil) async throws -> HostEntry {
        var params: [String: JSONValue] = ["address": .string(address)]
        params["buflen"] = bufferLength.map { .integer(Int64($0)) }
        return try await typedRequest(op: "gethostbyaddr", params: params, HostEntry.init(json:))
    }

    /// Looks up a service by name, optionally for one protocol (WSAAsyncGetServByName).
    public func serviceByName(_ name: String, protocol: String? = nil, bufferLength: Int? = nil) async throws -> ServiceEntry {
        var params: [String: JSONValue] = ["name": .string(name)]
        params["proto"] = `protocol`.map { .string($0) }
        params["buflen"] = bufferLength.map { .integer(Int64($0)) }
        return try await typedRequest(op: "getservbyname", params: params, ServiceEntry.init(json:))
    }

    /// Looks up a service by port, optionally for one protocol (WSAAsyncGetServByPort).
    public func serviceByPort(_ port: Int, protocol: String? = nil, bufferLength: Int? = nil) async throws -> ServiceEntry {
        var params: [String: JSONValue] = ["port": .integer(Int64(port))]
        params["proto"] = `protocol`.map { .string($0) }
        params["buflen"] = bufferLength.map { .integer(Int64($0)) }
        return try await typedRequest(op: "getservbyport", params: params, ServiceEntry.init(json:))
    }

    /// Looks up a protocol by name (WSAAsyncGetProtoByName).
    public func protocolByName(_ name: String, bufferLength: Int? = nil) async throws -> ProtocolEntry {
        var params: [String: JSONValue] = ["name": .string(name)]
        params["buflen"] = bufferLength.map { .integer(Int64($0)) }
        return try await typedRequest(op: "getprotobyname", params: params, ProtocolEntry.init(json:))
    }

    /// Looks up a protocol by number (WSAAsyncGetProtoByNumber).
    public func protocolByNumber(_ number: Int, bufferLength: Int? = nil) async throws -> ProtocolEntry {
        var params: [String: JSONValue] = ["number": .integer(Int64(number))]
        params["buflen"] = bufferLength.map { .integer(Int64($0)) }
        return try await typedRequest(op: "getprotobynumber", params: params, ProtocolEntry.init(json:))
    }

    /// Asks the daemon who it is and which ops it accepts.
    public func hello() async throws -> ServerInfo {
        try await typedRequest(op: "hello", params: [:], ServerInfo.init(json:))
    }

    /// The daemon's counters (`in_flight`, `connections`, `lookups`, …). Members that
    /// are not integers are left out.
    public func stats() async throws -> [String: Int64] {
        try await typedRequest(op: "stats", params: [:]) { result in
            guard let object = result.objectValue else { return nil }
            var counters: [String: Int64] = [:]
            for (key, value) in object {
                if let number = value.intValue { counters[key] = number }
            }
            return counters
        }
    }

    /// Sends a request, throws for a failure status, and reads the result with `read`.
    func typedRequest<Result>(
        op: String,
        params: [String: JSONValue],
        _ read: (JSONValue) -> Result?
    ) async throws -> Result {
        let reply = try await request(op: op, params: params)
        guard reply.isSuccess else { throw ResolvdError(reply: reply) }
        guard let result = reply.result, let value = read(result) else {
            throw ResolvdConnectionError.unexpectedResult(op: op, line: reply.line)
        }
        return value
    }
}
