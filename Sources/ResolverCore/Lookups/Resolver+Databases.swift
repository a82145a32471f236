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
    /// and cancellable like the rest, without touching c-ares.
    private func startDatabaseLookup<Entry: Sendable>(
        bufferLength: Int,
        owner: LookupOwner,
        completion: @escaping @Sendable (Result<Entry, ResolverError>) -> Void,
        notFound: String,
        requiredLength: @escaping @Sendable (Entry) -> Int,
        find: @escaping @Sendable () -> Entry?
    ) -> LookupHandle {
        start(owner: owner, timeout: nil, work: { lookup, _ in
            lookup.finish(Self.databaseAnswer(find(), bufferLength: bufferLength, notFound: notFound, requiredLength: requiredLength))
        }, completion: completion)
    }

    /// Not found is WSANO_DATA (as Winsock reports it); an entry too big for `bufferLength`
    /// is WSAENOBUFS.
    static func databaseAnswer<Entry>(
        _ entry: Entry?, bufferLength: Int, notFound: String, requiredLength: (Entry) -> Int
    ) -> Result<Entry, ResolverError> {
        guard let entry else { return .failure(ResolverError(code: .noData, message: notFound)) }
        if let error = WindowsBufferLayout.check(requiredLength(entry), bufferLength: bufferLength) { return .failure(error) }
        return .success(entry)
    }
}

/// The database lookups as plans: always answered from memory (the daemon's lookup service
/// answers them before its start call returns).
extension Resolver {
    public func serviceByNamePlan(_ name: String, proto: String?, bufferLength: Int) -> LookupPlan<ServiceEntry> {
        .local(Self.databaseAnswer(
            databases.services.service(named: name, proto: proto), bufferLength: bufferLength,
            notFound: "no service '\(name)'\(proto.map { "/\($0)" } ?? "")", requiredLength: WindowsBufferLayout.requiredLength(for:)))
    }

    public func serviceByPortPlan(_ port: UInt16, proto: String?, bufferLength: Int) -> LookupPlan<ServiceEntry> {
        .local(Self.databaseAnswer(
            databases.services.service(port: port, proto: proto), bufferLength: bufferLength,
            notFound: "no service on port \(port)\(proto.map { "/\($0)" } ?? "")", requiredLength: WindowsBufferLayout.requiredLength(for:)))
    }

    public func protocolByNamePlan(_ name: String, bufferLength: Int) -> LookupPlan<ProtocolEntry> {
        .local(Self.databaseAnswer(
            databases.protocols.protocol(named: name), bufferLength: bufferLength,
            notFound: "no protocol '\(name)'", requiredLength: WindowsBufferLayout.requiredLength(for:)))
    }

    public func protocolByNumberPlan(_ number: Int32, bufferLength: Int) -> LookupPlan<ProtocolEntry> {
        .local(Self.databaseAnswer(
            databases.protocols.protocol(number: number), bufferLength: bufferLength,
            notFound: "no protocol number \(number)", requiredLength: WindowsBufferLayout.requiredLength(for:)))
    }
}
