import ResolverTypes

/// Decodes the parameters of a request object whose id is already known into a typed
/// ``Request``, strictly: a missing, mistyped or out-of-range parameter, and any member no
/// op reads, is a WSAEINVAL error naming the op and the parameter. `null` counts as absent.
///
/// It checks shape and ranges only; whether a name exists or a service is known is the
/// resolver's business. Reading the id (``Request/id(of:)``) and the JSON itself are the
/// caller's. See docs/protocol.md for the contract. Package access: only the daemon (and
/// the tests) read requests.
///
/// It reads the members through ``RequestMembers``, which finds each parameter once: an
/// absent optional parameter costs a bit test, and the members no op reads are found by a
/// mask compare (the error path alone looks for the offending key's name).
package enum RequestDecoder {
    package static func decode(_ object: JSONObject, id: Int64) -> Result<Request, ResolverError> {
        let members = ObjectRequestMembers(object)
        guard members.parameters & Parameter.op.bit != 0, let op = members.value(of: .op).stringValue else {
            return .failure(.invalidArgument("missing or non-string \"op\""))
        }
        guard let operation = Operation(rawValue: op) else {
            return .failure(.invalidArgument("unknown op \"\(op)\""))
        }
        return decode(members, operation: operation, id: id)
    }

    /// The request `members` make for `operation` (their `op`, already read).
    static func decode(_ members: some RequestMembers, operation: Operation, id: Int64) -> Result<Request, ResolverError> {
        var reader = ParameterReader(members: members, operation: operation)
        do {
            let command = try reader.command()
            var allowsStale = true
            if case .lookup = command {
                allowsStale = try reader.optionalBool(.stale) ?? true
            }
            try reader.rejectUnknownParameters()
            return .success(Request(id: id, command: command, allowsStale: allowsStale))
        } catch {
            return .failure(error)
        }
    }
}

/// ``RequestDecoder``'s reading of one request: each op's parameters, typed and checked,
/// and which parameters were read.
private struct ParameterReader<Members: RequestMembers> {
    private let members: Members
    private let operation: Operation
    /// The ``Parameter``s read so far, one bit each (`id` and `op` always are).
    private var used: UInt32 = Parameter.id.bit | Parameter.op.bit

    init(members: Members, operation: Operation) {
        self.members = members
        self.operation = operation
    }

    mutating func command() throws(ResolverError) -> Request.Command {
        switch operation {
        case .getAddrInfo:
            // Built at once, not member by member: each assignment copied the request (callgrind).
            return .lookup(.addressInfo(AddressInfoRequest(
                name: try string(.name), service: try optionalService(), family: try family(default: .unspecified),
                socketType: try optionalEnum(.socktype, SocketType.self),
                transport: try optionalEnum(.protocol, TransportProtocol.self),
                flags: try flags(AddressInfoFlags.wireNames), timeout: try timeout())))
        case .getNameInfo:
            var request = NameInfoRequest(address: try string(.address))
            request.port = try optionalInteger(.port, in: 0...65535).map { UInt16($0) } ?? 0
            request.flags = try flags(NameInfoFlags.wireNames)
            request.timeout = try timeout()
            return .lookup(.nameInfo(request))
        case .query:
            let name = try string(.name)
            let typeName = try string(.type)
            guard let type = DNSRecordType(rawValue: typeName.uppercased()) else {
                throw invalid("\"type\" must be one of \(DNSRecordType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .lookup(.query(name: name, type: type, timeout: try timeout()))
        case .getHostByName:
            return .lookup(.hostByName(
                name: try string(.name), family: try family(default: LookupRequest.defaultHostFamily),
                bufferLength: try bufferLength(), timeout: try timeout()))
        case .getHostByAddr:
            return .lookup(.hostByAddress(address: try string(.address), bufferLength: try bufferLength(), timeout: try timeout()))
        case .getServByName:
            return .lookup(.serviceByName(name: try string(.name), proto: try optionalString(.proto), bufferLength: try bufferLength()))
        case .getServByPort:
            let port = try integer(.port, in: 0...65535)
            return .lookup(.serviceByPort(port: UInt16(port), proto: try optionalString(.proto), bufferLength: try bufferLength()))
        case .getProtoByName:
            return .lookup(.protocolByName(name: try string(.name), bufferLength: try bufferLength()))
        case .getProtoByNumber:
            return .lookup(.protocolByNumber(number: Int32(try integer(.number, in: 0...Int64(Int32.max))), bufferLength: try bufferLength()))
        case .cancel:
            // A negative handle is one never issued (CancelRules): 6 for cancel, 10022 for
            // cancel_async_request; the decoder only checks that it is an integer.
            return .cancel(handle: try integer(.handle, in: Int64.min...Request.maxID))
        case .cancelAsyncRequest:
            return .cancelAsyncRequest(handle: try integer(.handle, in: Int64.min...Request.maxID))
        case .cancelAll:
            return .cancelAll
        case .hello:
            return .hello
        case .stats:
            return .stats
        case .reload:
            return .reload
        case .flushCache:
            return .flushCache
        case .monitor:
            return .monitor
        case .dumpCache:
            return .dumpCache(limit: Int(try optionalInteger(.limit, in: 1...Request.maxDumpCacheLimit) ?? Request.defaultDumpCacheLimit))
        case .link:
            return .link(LinkSettings(
                interface: try string(.interface), servers: try stringList(.dns), domains: try stringList(.domains),
                defaultRoute: try optionalBool(.defaultRoute) ?? false))
        case .revertLink:
            return .revertLink(interface: try string(.interface))
        case .routes:
            return .routes
        }
    }

    private func invalid(_ message: String) -> ResolverError {
        .invalidArgument("\(operation.rawValue): \(message)")
    }

    private mutating func value(_ parameter: Parameter) -> JSONValue? {
        used |= parameter.bit
        guard members.parameters & parameter.bit != 0 else { return nil }
        let value = members.value(of: parameter)
        return value.isNull ? nil : value
    }

    mutating func optionalBool(_ key: Parameter) throws(ResolverError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value.boolValue else { throw invalid("\"\(key.rawValue)\" must be true or false") }
        return bool
    }

    private mutating func string(_ key: Parameter) throws(ResolverError) -> String {
        guard let value = value(key) else { throw invalid("missing \"\(key.rawValue)\"") }
        guard let string = value.stringValue else { throw invalid("\"\(key.rawValue)\" must be a string") }
        return string
    }

    /// A list of strings; absent reads as empty. At most 1,024 items (a link's bounds are the daemon's).
    private mutating func stringList(_ key: Parameter) throws(ResolverError) -> [String] {
        guard let value = value(key) else { return [] }
        guard let list = value.arrayValue, list.count <= 1024 else { throw invalid("\"\(key.rawValue)\" must be a list of at most 1024 strings") }
        var strings: [String] = []
        for item in list {
            guard let string = item.stringValue else { throw invalid("\"\(key.rawValue)\" must be a list of strings") }
            strings.append(string)
        }
        return strings
    }

    private mutating func optionalString(_ key: Parameter) throws(ResolverError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value.stringValue else { throw invalid("\"\(key.rawValue)\" must be a string") }
        return string
    }

    /// `service` may be a name or a port, as a string or a number.
    private mutating func optionalService() throws(ResolverError) -> String? {
        guard let value = value(.service) else { return nil }
        if let string = value.stringValue { return string }
        if case .integer(let port) = value, (0...65535).contains(port) { return String(port) }
        throw invalid("\"service\" must be a string or a port number")
    }

    private mutating func integer(_ key: Parameter, in range: ClosedRange<Int64>) throws(ResolverError) -> Int64 {
        guard let result = try optionalInteger(key, in: range) else { throw invalid("missing \"\(key.rawValue)\"") }
        return result
    }

    private mutating func optionalInteger(_ key: Parameter, in range: ClosedRange<Int64>) throws(ResolverError) -> Int64? {
        guard let value = value(key) else { return nil }
        guard case .integer(let number) = value else { throw invalid("\"\(key.rawValue)\" must be an integer") }
        guard range.contains(number) else {
            throw invalid("\"\(key.rawValue)\" must be in \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    private mutating func optionalEnum<E: WireNamed>(_ key: Parameter, _: E.Type) throws(ResolverError) -> E? {
        // A string member names its case through the members (no String made when scanned).
        if members.parameters & key.bit != 0, let named = members.enumCase(of: key, as: E.self) {
            used |= key.bit
            guard let result = named else { throw notOneOf(key, E.self) }
            return result
        }
        // Absent, null, or not a string (an error).
        guard let text = try optionalString(key) else { return nil }
        guard let result = E(rawValue: text) else { throw notOneOf(key, E.self) }
        return result
    }

    private func notOneOf<E: WireNamed>(_ key: Parameter, _: E.Type) -> ResolverError {
        invalid("\"\(key.rawValue)\" must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    private mutating func family(default fallback: AddressFamily) throws(ResolverError) -> AddressFamily {
        try optionalEnum(.family, AddressFamily.self) ?? fallback
    }

    private mutating func flags<F: OptionSet>(_ names: [(name: String, flag: F)]) throws(ResolverError) -> F where F.Element == F {
        guard let value = value(.flags) else { return [] }
        guard let list = value.arrayValue else { throw invalid("\"flags\" must be a list of strings") }
        var result: F = []
        for item in list {
            guard let name = item.stringValue, let flag = names.first(where: { $0.name == name })?.flag else {
                throw invalid("unknown flag \(item) in \"flags\"; known: \(names.map(\.name).sorted().joined(separator: ", "))")
            }
            result.insert(flag)
        }
        return result
    }

    private mutating func timeout() throws(ResolverError) -> Duration? {
        try optionalInteger(.timeout, in: 1...3_600_000).map { .milliseconds($0) }
    }

    private mutating func bufferLength() throws(ResolverError) -> Int {
        Int(try optionalInteger(.buflen, in: 0...(1 << 24)) ?? Int64(WindowsBufferLayout.defaultBufferLength))
    }

    func rejectUnknownParameters() throws(ResolverError) {
        guard members.hasUnknownKey || members.parameters & ~used != 0 else { return }
        throw invalid("unknown parameter \"\(members.firstKey(notIn: used) ?? "")\"")
    }
}
