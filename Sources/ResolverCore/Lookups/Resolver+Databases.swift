extension Resolver {
    /// WSAAsyncGetServByName: a service name (or alias) and optional protocol to a servent,
    /// from the services database, with glibc's getservbyname answers. Not found:
    /// WSANO_DATA, as Winsock reports it.
    @discardableResult
    public func serviceByName(
        _ name: String, proto: String? = nil,
        bufferLength: Int = WindowsBufferLayout.defaultBufferLength,
        owner: LookupOwner = .shared,
        completion: @escaping @Sendable (Result<ServiceEntry, ResolverError>) -> Void
    ) -> LookupHandle {
        let services = databases.services
        return startLocal(owner: owner, completion: completion) {
            guard let entry = services.service(named: name, proto: proto) else {
                return .failure(ResolverError(code: .noData, message: "no service '\(name)'\(proto.map { "/\($0)" } ?? "")"))
            }
            return Self.fitting(entry, required: WindowsBufferLayout.requiredLength(for: entry), bufferLength: bufferLength)
        }
    }

    /// WSAAsyncGetServByPort: a port (host byte order) and optional protocol to a servent.
    @discardableResult
    public func serviceByPort(
        _ port: UInt16, proto: String? = nil,
        bufferLength: Int = WindowsBufferLayout.defaultBufferLength,
        owner: LookupOwner = .shared,
        completion: @escaping @Sendable (Result<ServiceEntry, ResolverError>) -> Void
    ) -> LookupHandle {
        let services = databases.services
        return startLocal(owner: owner, completion: completion) {
            guard let entry = services.service(port: port, proto: proto) else {
                return .failure(ResolverError(code: .noData, message: "no service on port \(port)\(proto.map { "/\($0)" } ?? "")"))
            }
            return Self.fitting(entry, required: WindowsBufferLayout.requiredLength(for: entry), bufferLength: bufferLength)
        }
    }

    /// WSAAsyncGetProtoByName: a protocol name (or alias) to a protoent.
    @discardableResult
    public func protocolByName(
        _ name: String,
        bufferLength: Int = WindowsBufferLayout.defaultBufferLength,
        owner: LookupOwner = .shared,
        completion: @escaping @Sendable (Result<ProtocolEntry, ResolverError>) -> Void
    ) -> LookupHandle {
        let protocols = databases.protocols
        return startLocal(owner: owner, completion: completion) {
            guard let entry = protocols.protocol(named: name) else {
                return .failure(ResolverError(code: .noData, message: "no protocol '\(name)'"))
            }
            return Self.fitting(entry, required: WindowsBufferLayout.requiredLength(for: entry), bufferLength: bufferLength)
        }
    }

    /// WSAAsyncGetProtoByNumber: a protocol number to a protoent.
    @discardableResult
    public func protocolByNumber(
        _ number: Int32,
        bufferLength: Int = WindowsBufferLayout.defaultBufferLength,
        owner: LookupOwner = .shared,
        completion: @escaping @Sendable (Result<ProtocolEntry, ResolverError>) -> Void
    ) -> LookupHandle {
        let protocols = databases.protocols
        return startLocal(owner: owner, completion: completion) {
            guard let entry = protocols.protocol(number: number) else {
                return .failure(ResolverError(code: .noData, message: "no protocol number \(number)"))
            }
            return Self.fitting(entry, required: WindowsBufferLayout.requiredLength(for: entry), bufferLength: bufferLength)
        }
    }

    /// A lookup answered from memory on the loop thread: asynchronous and cancellable
    /// like the rest, without touching c-ares.
    private func startLocal<Value: Sendable>(
        owner: LookupOwner,
        completion: @escaping @Sendable (Result<Value, ResolverError>) -> Void,
        answer: @escaping @Sendable () -> Result<Value, ResolverError>
    ) -> LookupHandle {
        start(owner: owner, timeout: nil, work: { lookup, _ in lookup.finish(answer()) }, completion: completion)
    }

    private static func fitting<Value>(_ value: Value, required: Int, bufferLength: Int) -> Result<Value, ResolverError> {
        if let error = WindowsBufferLayout.check(required, bufferLength: bufferLength) { return .failure(error) }
        return .success(value)
    }
}
