/// getaddrinfo's decisions that need no network, made before a lookup starts: the port
/// and socket types a service maps to, which family to ask DNS for, and how the found
/// addresses turn into the answer (v4mapped, all, addrconfig, order, one entry per
/// socket type). It follows glibc where the flags leave room, and says so where not.
struct AddressInfoPlan: Sendable {
    struct Socket: Hashable, Sendable {
        var type: SocketType
        var transport: TransportProtocol?
        var port: UInt16
    }

    /// One address as a source gave it, with the TTL it may be kept for.
    struct Found: Hashable, Sendable {
        var address: IPAddress
        var ttl: UInt32
        /// `address` as text (``IPAddress/text``), when its source already had it so — a DNS
        /// record's or the hosts file's canonical text — rather than formatted again for
        /// every answer.
        var text: String

        init(address: IPAddress, ttl: UInt32, text: String? = nil) {
            self.address = address
            self.ttl = ttl
            self.text = text ?? address.text
        }
    }

    let request: AddressInfoRequest
    let sockets: [Socket]
    let allowed: ConfiguredFamilies
    let preferIPv6: Bool

    /// The family to ask DNS (or the hosts file) for.
    var queryFamily: AddressFamily {
        switch request.family {
        case .inet: return .inet
        case .inet6: return request.flags.contains(.v4Mapped) ? .unspecified : .inet6
        case .unspecified:
            if allowed.inet && !allowed.inet6 { return .inet }
            if allowed.inet6 && !allowed.inet { return .inet6 }
            return .unspecified
        }
    }

    init(_ request: AddressInfoRequest, databases: LocalDatabases) throws(ResolverError) {
        self.request = request
        self.sockets = try Self.makeSockets(for: request, services: databases.services)
        var allowed = ConfiguredFamilies(inet: true, inet6: true)
        if request.flags.contains(.addressConfig) {
            let configured = databases.configuredFamilies
            if configured.inet || configured.inet6 { allowed = configured }  // none at all: no filter, as for a host with only loopback
        }
        self.allowed = allowed
        self.preferIPv6 = databases.configuredFamilies.inet6
    }

    /// The service → (socket type, protocol, port) expansion of glibc's getaddrinfo: raw
    /// sockets only without a service; a named service only for the protocols the services
    /// database lists it under.
    private static func makeSockets(for request: AddressInfoRequest, services: ServicesDatabase) throws(ResolverError) -> [Socket] {
        if request.service?.isEmpty ?? true, let common = commonSockets(request.socketType, request.transport) { return common }
        let candidates: [(SocketType, TransportProtocol?)] = [(.stream, .tcp), (.datagram, .udp), (.raw, nil)]
        var matching = candidates.filter { type, transport in
            (request.socketType == nil || request.socketType == type)
                && (request.transport == nil || request.transport == transport)
        }
        if request.socketType == .raw, let transport = request.transport {
            // A raw socket with an explicit protocol is legal (glibc passes it through).
            matching = [(.raw, transport)]
        }
        guard !matching.isEmpty else {
            throw ResolverError(
                code: .socketTypeNotSupported,
                message: "socket type \(request.socketType?.rawValue ?? "any") does not go with protocol \(request.transport?.rawValue ?? "any")")
        }
        guard let service = request.service, !service.isEmpty else {
            return matching.map { Socket(type: $0.0, transport: $0.1, port: 0) }
        }
        if request.socketType == .raw {
            throw ResolverError(code: .typeNotFound, message: "a service cannot be used with raw sockets")
        }
        matching.removeAll { $0.0 == .raw }
        if let port = numericPort(service) {
            return matching.map { Socket(type: $0.0, transport: $0.1, port: port) }
        }
        if request.flags.contains(.numericService) {
            throw ResolverError(code: .hostNotFound, message: "service '\(service)' is not a port number (numericserv)")
        }
        let sockets = matching.compactMap { type, transport -> Socket? in
            guard let transport, let entry = services.service(named: service, proto: transport.rawValue) else { return nil }
            return Socket(type: type, transport: transport, port: entry.port)
        }
        guard !sockets.isEmpty else {
            throw ResolverError(code: .typeNotFound, message: "service '\(service)' is not known for the socket type asked")
        }
        return sockets
    }

    /// The sockets of the usual hints without a service, made once: each getaddrinfo would
    /// otherwise make the same array and hold it while it waits (docs/performance.md, row 7d).
    /// Nil for the rest (raw sockets, mismatched hints), which ``makeSockets(for:services:)``
    /// works out.
    private static func commonSockets(_ type: SocketType?, _ transport: TransportProtocol?) -> [Socket]? {
        switch (type, transport) {
        case (nil, nil): anySocket
        case (.stream, nil), (.stream, .tcp), (nil, .tcp): streamSocket
        case (.datagram, nil), (.datagram, .udp), (nil, .udp): datagramSocket
        default: nil
        }
    }

    private static let anySocket = [
        Socket(type: .stream, transport: .tcp, port: 0), Socket(type: .datagram, transport: .udp, port: 0), Socket(type: .raw, transport: nil, port: 0),
    ]
    private static let streamSocket = [Socket(type: .stream, transport: .tcp, port: 0)]
    private static let datagramSocket = [Socket(type: .datagram, transport: .udp, port: 0)]

    private static func numericPort(_ service: String) -> UInt16? {
        guard !service.isEmpty, service.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        guard let value = Int(service), value <= 65535 else { return nil }
        return UInt16(value)
    }

    /// An IP literal answered without DNS, or nil when the name is not a literal.
    func literalAnswer() -> Result<AddressInfo, ResolverError>? {
        guard let literal = IPAddress(parsing: request.name) else {
            if request.flags.contains(.numericHost) {
                return .failure(ResolverError(code: .hostNotFound, message: "'\(request.name)' is not an IP address (numerichost)"))
            }
            return nil
        }
        var found = [Found(address: literal, ttl: 0)]
        switch (literal.family, request.family) {
        case (.inet, .inet6):
            guard request.flags.contains(.v4Mapped) else {
                return .failure(ResolverError(code: .hostNotFound, message: "'\(request.name)' is an IPv4 address; IPv6 was asked"))
            }
            found = [Found(address: literal.v4Mapped, ttl: 0)]
        case (.inet6, .inet):
            return .failure(ResolverError(code: .hostNotFound, message: "'\(request.name)' is an IPv6 address; IPv4 was asked"))
        default:
            break
        }
        return .success(AddressInfo(
            canonicalName: request.flags.contains(.canonicalName) ? request.name : nil,
            addresses: expand(found)))
    }

    /// Applies the family rules to what DNS or the hosts file found and builds the answer.
    func answer(found: [Found], canonicalName: String?) -> Result<AddressInfo, ResolverError> {
        let unique = Self.firstOfEach(found)
        // The chosen addresses in their order, into one array (one allocation per answer,
        // not a filter per family and a concatenation).
        var chosen: [Found] = []
        chosen.reserveCapacity(unique.count)
        func append(_ family: AddressFamily, mapped: Bool = false) {
            guard family == .inet ? allowed.inet : allowed.inet6 else { return }
            for item in unique where item.address.family == family {
                chosen.append(mapped ? Found(address: item.address.v4Mapped, ttl: item.ttl) : item)
            }
        }
        switch request.family {
        case .inet:
            append(.inet)
        case .inet6:
            if !request.flags.contains(.v4Mapped) {
                append(.inet6)
            } else if request.flags.contains(.all) {
                // The mapped addresses are IPv4 ones: the same order rule as for unspec,
                // as glibc sorts them (a host without IPv6 connects to them first).
                if preferIPv6 {
                    append(.inet6)
                    append(.inet, mapped: true)
                } else {
                    append(.inet, mapped: true)
                    append(.inet6)
                }
            } else {
                append(.inet6)
                if chosen.isEmpty { append(.inet, mapped: true) }
            }
        case .unspecified:
            if preferIPv6 {
                append(.inet6)
                append(.inet)
            } else {
                append(.inet)
                append(.inet6)
            }
        }
        guard !chosen.isEmpty else {
            return .failure(ResolverError(code: .noData, message: "\(request.name): no address of the family asked"))
        }
        return .success(AddressInfo(
            canonicalName: request.flags.contains(.canonicalName) ? (canonicalName ?? request.name) : nil,
            addresses: expand(chosen)))
    }

    /// The first occurrence of each address, in order; `found` itself (no copy) when no
    /// address repeats, as in most answers. Answers are a handful long: a linear scan beats
    /// hashing every address into a Set.
    private static func firstOfEach(_ found: [Found]) -> [Found] {
        guard let firstRepeat = found.indices.first(where: { index in
            found[..<index].contains { $0.address == found[index].address }
        }) else { return found }
        var unique = Array(found[..<firstRepeat])
        for item in found[firstRepeat...] where !unique.contains(where: { $0.address == item.address }) { unique.append(item) }
        return unique
    }

    private func expand(_ found: [Found]) -> [ResolvedAddress] {
        var result: [ResolvedAddress] = []
        result.reserveCapacity(found.count * sockets.count)
        for item in found {
            for socket in sockets {
                result.append(ResolvedAddress(
                    family: item.address.family, address: item.text, port: socket.port,
                    socketType: socket.type, transport: socket.transport, ttl: item.ttl))
            }
        }
        return result
    }
}
