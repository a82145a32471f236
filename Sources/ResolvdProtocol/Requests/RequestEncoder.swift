import ResolverTypes

/// Writing a typed request as its protocol v1 line, as the client sends it: `id` first,
/// then `op`, then the parameters that differ from the op's defaults, spelled as
/// ``RequestDecoder`` reads them — so decoding what is written gives the same request.
///
/// A timeout is written in whole milliseconds (`timeout_ms`); one that is not a whole
/// number of milliseconds is rounded down, to at least 1 ms.
extension Request: JSONWritable {
    /// `{"id":n,"op":"…",…}` without a newline.
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"id\":")
        sink.integer(id)
        sink.raw(",")
        command.writeMembers(to: &sink)
        if !allowsStale { sink.raw(",\"stale\":false") }
        sink.raw("}")
    }
}

extension Request.Command {
    /// `"op":"…"` and the parameters, without braces: what follows `{"id":n,` in a line.
    public func writeMembers<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("\"op\":")
        sink.string(operation.rawValue)
        var writer = ParameterWriter(sink: sink)
        switch self {
        case .lookup(let lookup):
            writer.write(lookup)
        case .cancel(let handle), .cancelAsyncRequest(let handle):
            writer.integer(.handle, handle)
        case .dumpCache(let limit):
            writer.integer(.limit, Int64(limit))
        case .link(let settings):
            writer.string(.interface, settings.interface)
            writer.stringList(.dns, settings.servers)
            writer.stringList(.domains, settings.domains)
            if settings.defaultRoute { writer.bool(.defaultRoute, true) }
        case .revertLink(let interface):
            writer.string(.interface, interface)
        case .cancelAll, .hello, .stats, .reload, .flushCache, .monitor, .routes:
            break
        }
        sink = writer.sink
    }

    /// ``writeMembers(to:)`` as a value, for `ByteBuffer.writeJSON(_:)`.
    public var members: Members { Members(command: self) }

    /// A command's members after the id, `"op":"…",…`, as one ``JSONWritable``.
    public struct Members: JSONWritable {
        public var command: Request.Command

        public func write<Sink: JSONSink>(to sink: inout Sink) {
            command.writeMembers(to: &sink)
        }
    }
}

/// Writes `,"key":value` members, each key a ``Parameter``.
private struct ParameterWriter<Sink: JSONSink> {
    var sink: Sink

    mutating func write(_ lookup: LookupRequest) {
        switch lookup {
        case .addressInfo(let request):
            string(.name, request.name)
            string(.service, request.service)
            if request.family != .unspecified { string(.family, request.family.rawValue) }
            string(.socktype, request.socketType?.rawValue)
            string(.protocol, request.transport?.rawValue)
            flags(request.flags, AddressInfoFlags.wireNames)
            timeout(request.timeout)
        case .nameInfo(let request):
            string(.address, request.address)
            if request.port != 0 { integer(.port, request.port) }
            flags(request.flags, NameInfoFlags.wireNames)
            timeout(request.timeout)
        case .query(let name, let type, let timeout):
            string(.name, name)
            string(.type, type.rawValue)
            self.timeout(timeout)
        case .hostByName(let name, let family, let bufferLength, let timeout):
            string(.name, name)
            if family != LookupRequest.defaultHostFamily { string(.family, family.rawValue) }
            self.bufferLength(bufferLength)
            self.timeout(timeout)
        case .hostByAddress(let address, let bufferLength, let timeout):
            string(.address, address)
            self.bufferLength(bufferLength)
            self.timeout(timeout)
        case .serviceByName(let name, let proto, let bufferLength):
            string(.name, name)
            string(.proto, proto)
            self.bufferLength(bufferLength)
        case .serviceByPort(let port, let proto, let bufferLength):
            integer(.port, port)
            string(.proto, proto)
            self.bufferLength(bufferLength)
        case .protocolByName(let name, let bufferLength):
            string(.name, name)
            self.bufferLength(bufferLength)
        case .protocolByNumber(let number, let bufferLength):
            integer(.number, number)
            self.bufferLength(bufferLength)
        }
    }

    private mutating func key(_ parameter: Parameter) {
        sink.raw(",")
        sink.string(parameter.rawValue)
        sink.raw(":")
    }

    mutating func string(_ parameter: Parameter, _ value: String?) {
        guard let value else { return }
        key(parameter)
        sink.string(value)
    }

    mutating func stringList(_ parameter: Parameter, _ values: [String]) {
        key(parameter)
        sink.strings(values)
    }

    mutating func bool(_ parameter: Parameter, _ value: Bool) {
        key(parameter)
        sink.raw(value ? "true" : "false")
    }

    mutating func integer<T: FixedWidthInteger>(_ parameter: Parameter, _ value: T) {
        key(parameter)
        sink.integer(value)
    }

    private mutating func flags<F: OptionSet>(_ flags: F, _ names: [(name: String, flag: F)]) where F.Element == F {
        guard !flags.isEmpty else { return }
        key(.flags)
        sink.strings(names.filter { flags.contains($0.flag) }.map(\.name))
    }

    private mutating func timeout(_ timeout: Duration?) {
        guard let timeout else { return }
        let (seconds, attoseconds) = timeout.components
        integer(.timeout, max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
    }

    private mutating func bufferLength(_ length: Int) {
        if length != WindowsBufferLayout.defaultBufferLength { integer(.buflen, length) }
    }
}
