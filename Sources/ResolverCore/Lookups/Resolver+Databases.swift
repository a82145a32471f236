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
        return startDatabaseLookup(
            bufferLength: bufferLength, owner: owner, completion: completion,
            notFound: "no service '\(name)'\(proto.map { "/\($0)" } ?? "")",
            requiredLength: WindowsBufferLayout.requiredLength(for:)
        ) { services.service(named: name, proto: proto) }
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
        return startDatabaseLookup(
            bufferLength: bufferLength, owner: owner, completion: completion,
            notFound: "no service on port \(port)\(proto.map { "/\($0)" } ?? "")",
            requiredLength: WindowsBufferLayout.requiredLength(for:)
        ) { services.service(port: port, proto: proto) }
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
        return startDatabaseLookup(
            bufferLength: bufferLength, owner: owner, completion: completion,
            notFound: "no protocol '\(name)'", requiredLength: WindowsBufferLayout.requiredLength(for:)
        ) { protocols.protocol(named: name) }
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
        return startDatabaseLookup(
            bufferLength: bufferLength, owner: owner, completion: completion,
            notFound: "no protocol number \(number)", requiredLength: WindowsBufferLayout.requiredLength(for:)
        ) { protocols.protocol(number: number) }
    }

    /// A services/protocols lookup, answered from memory on the loop thread: asynchronous
    /// and cancellable like the rest, without touching c-ares. Not found is WSANO_DATA (as
    /// Winsock reports it); an entry too big for `bufferLength` is WSAENOBUFS.
    private func startDatabaseLookup<Entry: Sendable>(
        bufferLength: Int,
        owner: LookupOwner,
        completion: @escaping @Sendable (Result<Entry, ResolverError>) -> Void,
        notFound: String,
        requiredLength: @escaping @Sendable (Entry) -> Int,
        find: @escaping @Sendable () -> Entry?
    ) -> LookupHandle {
        start(owner: owner, timeout: nil, work: { lookup, _ in
            guard let entry = find() else {
                lookup.finish(.failure(ResolverError(code: .noData, message: notFound)))
                return
            }
            if let error = WindowsBufferLayout.check(requiredLength(entry), bufferLength: bufferLength) {
                lookup.finish(.failure(error))
            } else {
                lookup.finish(.success(entry))
            }
        }, completion: completion)
    }
}
