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

    /// One address as a source gave it, with the TTL it may be kept for: its family and its
    /// text in the canonical form (`inet_ntop`'s, ``IPAddress/text``) that a DNS record, the
    /// hosts file and c-ares all give, so that equal texts are equal addresses. Kept as text,
    /// not parsed: the answer is text, and parsing each record's address back into an
    /// ``IPAddress`` cost a cold lookup ~1,000 instructions (docs/performance.md, issue 25).
    struct Found: Hashable, Sendable {
        var family: AddressFamily
        var text: String
        var ttl: UInt32

        init(family: AddressFamily, text: String, ttl: UInt32) {
            self.family = family
            self.text = text
            self.ttl = ttl
        }

        init(address: IPAddress, ttl: UInt32) {
            self.init(family: address.family, text: address.text, ttl: ttl)
        }

        /// The IPv4 address as an IPv4-mapped IPv6 one (v4mapped); nil for an IPv6 address.
        var v4Mapped: Found? {
            guard family == .inet, let address = IPAddress(parsing: text) else { return nil }
            return Found(address: address.v4Mapped, ttl: ttl)
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
        // The chosen addresses in their order, each expanded to its sockets as it is chosen:
        // one array per answer, the answer's own (not a filter per family, a concatenation,
        // or a list of the chosen ones to expand after).
        var addresses: [ResolvedAddress] = []
        addresses.reserveCapacity(unique.count * sockets.count)
        func append(_ family: AddressFamily, mapped: Bool = false) {
            guard family == .inet ? allowed.inet : allowed.inet6 else { return }
            for item in unique where item.family == family {
                if !mapped {
                    expand(item, into: &addresses)
                } else if let mapped = item.v4Mapped {
                    expand(mapped, into: &addresses)
                }
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
                if addresses.isEmpty { append(.inet, mapped: true) }
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
        guard !addresses.isEmpty else {
            return .failure(ResolverError(code: .noData, message: "\(request.name): no address of the family asked"))
        }
        return .success(AddressInfo(
            canonicalName: request.flags.contains(.canonicalName) ? (canonicalName ?? request.name) : nil,
            addresses: addresses))
    }

    /// The first occurrence of each address, in order; `found` itself (no copy) when no
    /// address repeats, as in most answers. Answers are a handful long: a linear scan beats
    /// hashing every address into a Set.
    private static func firstOfEach(_ found: [Found]) -> [Found] {
        guard let firstRepeat = found.indices.first(where: { index in
            found[..<index].contains { $0.text == found[index].text }
        }) else { return found }
        var unique = Array(found[..<firstRepeat])
        for item in found[firstRepeat...] where !unique.contains(where: { $0.text == item.text }) { unique.append(item) }
        return unique
    }

    private func expand(_ found: [Found]) -> [ResolvedAddress] {
        var result: [ResolvedAddress] = []
        result.reserveCapacity(found.count * sockets.count)
        for item in found { expand(item, into: &result) }
        return result
    }

    /// One entry per socket type for `item`, appended.
    private func expand(_ item: Found, into result: inout [ResolvedAddress]) {
        for socket in sockets {
            result.append(ResolvedAddress(
                family: item.family, address: item.text, port: socket.port,
                socketType: socket.type, transport: socket.transport, ttl: item.ttl))
        }
    }
}
