/// Typed forms of the lookup and information ops. Each sends one ``Request/Command``
/// through ``ResolvdConnection/request(_:)`` (so task cancellation sends `cancel`), throws
/// ``ResolverError`` for a failure status and
/// ``ResolvdConnectionError/unexpectedResult(op:line:)`` for a result of the wrong shape.
extension ResolvdConnection {
    /// Runs one lookup and returns its typed result.
    public func lookup(_ lookup: LookupRequest) async throws -> LookupValue {
        try await typedRequest(.lookup(lookup)) { LookupValue(json: $0, operation: lookup.operation) }
    }

    /// Resolves a name and service to addresses (GetAddrInfoEx).
    public func getAddrInfo(_ request: AddressInfoRequest) async throws -> AddressInfo {
        guard case .addressInfo(let info) = try await lookup(.addressInfo(request)) else { preconditionFailure("decoded by op") }
        return info
    }

    /// Resolves a name and service to addresses (GetAddrInfoEx).
    public func getAddrInfo(
        name: String,
        service: String? = nil,
        family: AddressFamily = .unspecified,
        socketType: SocketType? = nil,
        transport: TransportProtocol? = nil,
        flags: AddressInfoFlags = [],
        timeout: Duration? = nil
    ) async throws -> AddressInfo {
        try await getAddrInfo(AddressInfoRequest(
            name: name, service: service, family: family, socketType: socketType, transport: transport, flags: flags, timeout: timeout))
    }

    /// Maps an address and port to a host and service name (GetNameInfoW).
    public func getNameInfo(address: String, port: UInt16 = 0, flags: NameInfoFlags = [], timeout: Duration? = nil) async throws -> NameInfo {
        let request = NameInfoRequest(address: address, port: port, flags: flags, timeout: timeout)
        guard case .nameInfo(let info) = try await lookup(.nameInfo(request)) else { preconditionFailure("decoded by op") }
        return info
    }

    /// Looks up the records of one type at a name (DnsQuery).
    public func query(name: String, type: DNSRecordType, timeout: Duration? = nil) async throws -> QueryAnswer {
        guard case .query(let answer) = try await lookup(.query(name: name, type: type, timeout: timeout)) else {
            preconditionFailure("decoded by op")
        }
        return answer
    }

    /// Looks up a host by name (WSAAsyncGetHostByName).
    public func hostByName(
        _ name: String, family: AddressFamily = LookupRequest.defaultHostFamily,
        bufferLength: Int = WindowsBufferLayout.defaultBufferLength, timeout: Duration? = nil
    ) async throws -> HostEntry {
        try await host(.hostByName(name: name, family: family, bufferLength: bufferLength, timeout: timeout))
    }

    /// Looks up a host by address (WSAAsyncGetHostByAddr).
    public func hostByAddress(
        _ address: String, bufferLength: Int = WindowsBufferLayout.defaultBufferLength, timeout: Duration? = nil
    ) async throws -> HostEntry {
        try await host(.hostByAddress(address: address, bufferLength: bufferLength, timeout: timeout))
    }

    /// Looks up a service by name, optionally for one protocol (WSAAsyncGetServByName).
    public func serviceByName(
        _ name: String, protocol: String? = nil, bufferLength: Int = WindowsBufferLayout.defaultBufferLength
    ) async throws -> ServiceEntry {
        try await service(.serviceByName(name: name, proto: `protocol`, bufferLength: bufferLength))
    }

    /// Looks up a service by port, optionally for one protocol (WSAAsyncGetServByPort).
    public func serviceByPort(
        _ port: UInt16, protocol: String? = nil, bufferLength: Int = WindowsBufferLayout.defaultBufferLength
    ) async throws -> ServiceEntry {
        try await service(.serviceByPort(port: port, proto: `protocol`, bufferLength: bufferLength))
    }

    /// Looks up a protocol by name (WSAAsyncGetProtoByName).
    public func protocolByName(_ name: String, bufferLength: Int = WindowsBufferLayout.defaultBufferLength) async throws -> ProtocolEntry {
        try await protocolEntry(.protocolByName(name: name, bufferLength: bufferLength))
    }

    /// Looks up a protocol by number (WSAAsyncGetProtoByNumber).
    public func protocolByNumber(_ number: Int32, bufferLength: Int = WindowsBufferLayout.defaultBufferLength) async throws -> ProtocolEntry {
        try await protocolEntry(.protocolByNumber(number: number, bufferLength: bufferLength))
    }

    /// Asks the daemon who it is and which ops it accepts.
    public func hello() async throws -> ServerInfo {
        try await typedRequest(.hello, ServerInfo.init(json:))
    }

    /// The daemon's counters (`in_flight`, `connections`, `lookups`, …, the cache's, the
    /// upstream sockets' and the latency percentiles).
    public func stats() async throws -> StatsResult {
        try await typedRequest(.stats, StatsResult.init(json:))
    }

    private func host(_ request: LookupRequest) async throws -> HostEntry {
        guard case .host(let entry) = try await lookup(request) else { preconditionFailure("decoded by op") }
        return entry
    }

    private func service(_ request: LookupRequest) async throws -> ServiceEntry {
        guard case .service(let entry) = try await lookup(request) else { preconditionFailure("decoded by op") }
        return entry
    }

    private func protocolEntry(_ request: LookupRequest) async throws -> ProtocolEntry {
        guard case .protocolEntry(let entry) = try await lookup(request) else { preconditionFailure("decoded by op") }
        return entry
    }

    /// Sends a request, throws for a failure status, and reads the result with `read`.
    func typedRequest<Result>(_ command: Request.Command, _ read: (JSONValue) -> Result?) async throws -> Result {
        let reply = try await request(command)
        if let failure = reply.failure { throw failure }
        guard let result = reply.result, let value = read(result) else {
            throw ResolvdConnectionError.unexpectedResult(op: command.operation.rawValue, line: reply.line)
        }
        return value
    }
}
