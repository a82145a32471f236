import ResolverCore

/// One decoded protocol v1 request: its id and what it asks.
///
/// Decoding only checks shape and ranges; whether a name exists or a service is known
/// is the resolver's business. See docs/protocol.md for the contract.
struct Request: Sendable {
    var id: Int64
    var operation: Operation

    enum Operation: Sendable {
        /// Any lookup op: what it asks is exactly the key it is coalesced and cached under.
        case lookup(LookupKey)
        case cancel(handle: Int64)
        case cancelAsyncRequest(handle: Int64)
        case cancelAll
        case hello
        case stats
        /// Admin only: re-read the configuration, as SIGHUP does.
        case reload
        case flushCache
    }

    /// Every op name, in the order `hello` lists them.
    static let operationNames = [
        "getaddrinfo", "getnameinfo", "query", "gethostbyname", "gethostbyaddr", "getservbyname",
        "getservbyport", "getprotobyname", "getprotobynumber", "cancel", "cancel_async_request",
        "cancel_all", "hello", "stats", "reload", "flush_cache",
    ]

    /// The largest id: JSON numbers are exact up to 2^53 - 1.
    static let maxID: Int64 = (1 << 53) - 1

    /// The id of a request object, if it has a valid one (an integer in 1 … 2^53-1).
    static func id(of object: JSONObject) -> Int64? {
        guard let value = object["id"], let id = value.intValue, id >= 1, id <= maxID else { return nil }
        if case .double = value { return nil }  // 7.0 is not an integer id
        return id
    }
}

/// Decodes the parameters of a request whose id is already known; every failure is a
/// WSAEINVAL message naming the op and the parameter.
struct RequestDecoder {
    private let object: JSONObject
    private let op: String
    /// Every parameter any op reads: which ones a request used is a bit set over this list
    /// (no allocation per request). A parameter missing here is reported as unknown.
    private static let parameterNames = [
        "id", "op", "name", "service", "family", "socktype", "protocol", "flags", "timeout_ms", "address", "port", "type",
        "buflen", "proto", "number", "handle",
    ]
    /// Bit i: `parameterNames[i]` was read (`id` and `op` always are).
    private var used: UInt32 = 0b11

    static func decode(_ object: JSONObject, id: Int64) -> Result<Request, ResolverError> {
        guard let op = object["op"]?.stringValue else {
            return .failure(.invalidArgument("missing or non-string \"op\""))
        }
        var decoder = RequestDecoder(object: object, op: op)
        do {
            let operation = try decoder.operation()
            try decoder.rejectUnknownParameters()
            return .success(Request(id: id, operation: operation))
        } catch {
            return .failure(error)
        }
    }

    private init(object: JSONObject, op: String) {
        self.object = object
        self.op = op
    }

    private mutating func operation() throws(ResolverError) -> Request.Operation {
        switch op {
        case "getaddrinfo":
            var request = AddressInfoRequest(name: try string("name"))
            request.service = try optionalService()
            request.family = try family(default: .unspecified)
            request.socketType = try optionalEnum("socktype", SocketType.self)
            request.transport = try optionalEnum("protocol", TransportProtocol.self)
            request.flags = try flags("flags", Self.addressInfoFlags)
            request.timeout = try timeout()
            return .lookup(.addressInfo(request))
        case "getnameinfo":
            var request = NameInfoRequest(address: try string("address"))
            request.port = try optionalInteger("port", in: 0...65535).map { UInt16($0) } ?? 0
            request.flags = try flags("flags", Self.nameInfoFlags)
            request.timeout = try timeout()
            return .lookup(.nameInfo(request))
        case "query":
            let name = try string("name")
            let typeName = try string("type")
            guard let type = DNSRecordType(rawValue: typeName.uppercased()) else {
                throw invalid("\"type\" must be one of \(DNSRecordType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .lookup(.query(name: name, type: type, timeout: try timeout()))
        case "gethostbyname":
            return .lookup(.hostByName(name: try string("name"), family: try family(default: .inet), bufferLength: try bufferLength(), timeout: try timeout()))
        case "gethostbyaddr":
            return .lookup(.hostByAddress(address: try string("address"), bufferLength: try bufferLength(), timeout: try timeout()))
        case "getservbyname":
            return .lookup(.serviceByName(name: try string("name"), proto: try optionalString("proto"), bufferLength: try bufferLength()))
        case "getservbyport":
            let port = try integer("port", in: 0...65535)
            return .lookup(.serviceByPort(port: UInt16(port), proto: try optionalString("proto"), bufferLength: try bufferLength()))
        case "getprotobyname":
            return .lookup(.protocolByName(name: try string("name"), bufferLength: try bufferLength()))
        case "getprotobynumber":
            return .lookup(.protocolByNumber(number: Int32(try integer("number", in: 0...Int64(Int32.max))), bufferLength: try bufferLength()))
        // A negative handle is a handle that was never issued (CancelRules): 6 / 10022.
        case "cancel":
            return .cancel(handle: try integer("handle", in: Int64.min...Request.maxID))
        case "cancel_async_request":
            return .cancelAsyncRequest(handle: try integer("handle", in: Int64.min...Request.maxID))
        case "cancel_all":
            return .cancelAll
        case "hello":
            return .hello
        case "stats":
            return .stats
        case "reload":
            return .reload
        case "flush_cache":
            return .flushCache
        default:
            throw .invalidArgument("unknown op \"\(op)\"")
        }
    }

    private static let addressInfoFlags: [String: AddressInfoFlags] = [
        "canonname": .canonicalName, "numerichost": .numericHost, "numericserv": .numericService,
        "addrconfig": .addressConfig, "v4mapped": .v4Mapped, "all": .all,
    ]

    private static let nameInfoFlags: [String: NameInfoFlags] = [
        "namereqd": .nameRequired, "numerichost": .numericHost, "numericserv": .numericService,
        "nofqdn": .noFQDN, "dgram": .datagram,
    ]

    private func invalid(_ message: String) -> ResolverError {
        .invalidArgument("\(op): \(message)")
    }

    private mutating func value(_ key: String) -> JSONValue? {
        let index = Self.parameterNames.firstIndex(of: key)
        assert(index != nil, "\(key) is not in RequestDecoder.parameterNames")
        if let index { used |= 1 << index }
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    private mutating func string(_ key: String) throws(ResolverError) -> String {
        guard let value = value(key) else { throw invalid("missing \"\(key)\"") }
        guard let string = value.stringValue else { throw invalid("\"\(key)\" must be a string") }
        return string
    }

    private mutating func optionalString(_ key: String) throws(ResolverError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.stringValue else { throw invalid("\"\(key)\" must be a string") }
        return string
    }

    /// `service` may be a name or a port, as a string or a number.
    private mutating func optionalService() throws(ResolverError) -> String? {
        guard let value = value("service") else { return nil }
        if let string = value.stringValue { return string }
        if case .integer(let port) = value, (0...65535).contains(port) { return String(port) }
        throw invalid("\"service\" must be a string or a port number")
    }

    private mutating func integer(_ key: String, in range: ClosedRange<Int64>) throws(ResolverError) -> Int64 {
        guard let result = try optionalInteger(key, in: range) else { throw invalid("missing \"\(key)\"") }
        return result
    }

    private mutating func optionalInteger(_ key: String, in range: ClosedRange<Int64>) throws(ResolverError) -> Int64? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value else { throw invalid("\"\(key)\" must be an integer") }
        guard range.contains(number) else { throw invalid("\"\(key)\" must be in \(range.lowerBound)…\(range.upperBound)") }
        return number
    }

    private mutating func optionalEnum<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws(ResolverError) -> E?
    where E.RawValue == String {
        guard let text = try optionalString(key) else { return nil }
        guard let result = E(rawValue: text) else {
            throw invalid("\"\(key)\" must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return result
    }

    private mutating func family(default fallback: AddressFamily) throws(ResolverError) -> AddressFamily {
        try optionalEnum("family", AddressFamily.self) ?? fallback
    }

    private mutating func flags<F: OptionSet>(_ key: String, _ table: [String: F]) throws(ResolverError) -> F where F.Element == F {
        guard let value = value(key) else { return [] }
        guard let list = value.arrayValue else { throw invalid("\"\(key)\" must be a list of strings") }
        var result: F = []
        for item in list {
            guard let name = item.stringValue, let flag = table[name] else {
                throw invalid("unknown flag \(item) in \"\(key)\"; known: \(table.keys.sorted().joined(separator: ", "))")
            }
            result.insert(flag)
        }
        return result
    }

    private mutating func timeout() throws(ResolverError) -> Duration? {
        try optionalInteger("timeout_ms", in: 1...3_600_000).map { .milliseconds($0) }
    }

    private mutating func bufferLength() throws(ResolverError) -> Int {
        Int(try optionalInteger("buflen", in: 0...(1 << 24)) ?? Int64(WindowsBufferLayout.defaultBufferLength))
    }

    private func rejectUnknownParameters() throws(ResolverError) {
        let isUsed = { (key: String) in Self.parameterNames.firstIndex(of: key).map { used & (1 << $0) != 0 } ?? false }
        if let unknown = object.keys.first(where: { !isUsed($0) }) {
            throw invalid("unknown parameter \"\(unknown)\"")
        }
    }
}
