import NIOCore
import ResolverCore

/// Writes protocol v1 reply lines straight into a `ByteBuffer`, without building an
/// intermediate JSON tree. Lookup replies, the daemon's hottest path, are
/// ``LookupReplyLine``s that the connection encodes straight into its output buffer.
///
/// It knows the reply shapes of docs/protocol.md and nothing about connections.
enum ReplyEncoder {
    /// `{"id":n,"status":0,"result":` + body + `}\n`.
    static func success(id: Int64, allocator: ByteBufferAllocator, capacity: Int = 256, result: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: capacity)
        buffer.writeStaticString("{\"id\":")
        buffer.writeJSONInteger(id)
        buffer.writeStaticString(",\"status\":0,\"result\":")
        result(&buffer)
        buffer.writeStaticString("}\n")
        return buffer
    }

    /// `{"id":n|null,"status":code,"error":"SYMBOL","message":"…"[,"required":n]}\n`.
    static func failure(id: Int64?, error: ResolverError, allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(json: FailureLine(id: id, error: error))
    }
}

/// A lookup's reply line: `{"id":n,"status":0,"result":{…}}\n` or a ``FailureLine``.
struct LookupReplyLine: JSONWritable {
    var id: Int64
    var result: Result<LookupValue, ResolverError>

    func write<Sink: JSONSink>(to sink: inout Sink) {
        switch result {
        case .success(let value):
            sink.raw("{\"id\":")
            sink.integer(id)
            sink.raw(",\"status\":0,\"result\":")
            switch value {
            case .addressInfo(let info): sink.result(info)
            case .nameInfo(let info): sink.result(info)
            case .query(let answer): sink.result(answer)
            case .host(let entry): sink.result(entry)
            case .service(let entry): sink.result(entry)
            case .protocolEntry(let entry): sink.result(entry)
            }
            sink.raw("}\n")
        case .failure(let error):
            FailureLine(id: id, error: error).write(to: &sink)
        }
    }
}

/// `{"id":n|null,"status":code,"error":"SYMBOL","message":"…"[,"required":n]}\n`.
struct FailureLine: JSONWritable {
    var id: Int64?
    var error: ResolverError

    func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"id\":")
        if let id { sink.integer(id) } else { sink.raw("null") }
        sink.raw(",\"status\":")
        sink.integer(error.code.rawValue)
        sink.raw(",\"error\":")
        sink.string(error.code.symbol)
        sink.raw(",\"message\":")
        sink.string(error.message)
        if let required = error.requiredBufferLength {
            sink.raw(",\"required\":")
            sink.integer(required)
        }
        sink.raw("}\n")
    }
}

// MARK: - Result bodies

extension JSONSink {
    mutating func result(_ info: AddressInfo) {
        raw("{\"canonical_name\":")
        if let name = info.canonicalName { string(name) } else { raw("null") }
        raw(",\"addresses\":[")
        for (index, address) in info.addresses.enumerated() {
            if index > 0 { raw(",") }
            raw("{\"family\":")
            string(address.family.rawValue)
            raw(",\"address\":")
            string(address.address)
            raw(",\"port\":")
            integer(address.port)
            raw(",\"socktype\":")
            string(address.socketType.rawValue)
            raw(",\"protocol\":")
            if let transport = address.transport { string(transport.rawValue) } else { raw("null") }
            raw(",\"ttl\":")
            integer(address.ttl)
            raw("}")
        }
        raw("]}")
    }

    mutating func result(_ info: NameInfo) {
        raw("{\"host\":")
        string(info.host)
        raw(",\"service\":")
        string(info.service)
        raw("}")
    }

    mutating func result(_ entry: HostEntry) {
        raw("{\"name\":")
        string(entry.name)
        raw(",\"aliases\":")
        strings(entry.aliases)
        raw(",\"family\":")
        string(entry.family.rawValue)
        raw(",\"addresses\":")
        strings(entry.addresses)
        raw("}")
    }

    mutating func result(_ entry: ServiceEntry) {
        raw("{\"name\":")
        string(entry.name)
        raw(",\"aliases\":")
        strings(entry.aliases)
        raw(",\"port\":")
        integer(entry.port)
        raw(",\"proto\":")
        string(entry.proto)
        raw("}")
    }

    mutating func result(_ entry: ProtocolEntry) {
        raw("{\"name\":")
        string(entry.name)
        raw(",\"aliases\":")
        strings(entry.aliases)
        raw(",\"number\":")
        integer(entry.number)
        raw("}")
    }

    mutating func result(_ answer: QueryAnswer) {
        raw("{\"records\":[")
        for (index, record) in answer.records.enumerated() {
            if index > 0 { raw(",") }
            dnsRecord(record)
        }
        raw("]}")
    }

    private mutating func dnsRecord(_ record: DNSRecord) {
        raw("{\"name\":")
        string(record.name)
        raw(",\"type\":")
        string(record.type.rawValue)
        raw(",\"ttl\":")
        integer(record.ttl)
        switch record.data {
        case .a(let address), .aaaa(let address):
            field("address", address)
        case .cname(let target), .ns(let target), .ptr(let target):
            field("target", target)
        case .mx(let preference, let exchange):
            field("preference", preference)
            field("exchange", exchange)
        case .srv(let priority, let weight, let port, let target):
            field("priority", priority)
            field("weight", weight)
            field("port", port)
            field("target", target)
        case .txt(let texts):
            raw(",\"strings\":")
            strings(texts)
        case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
            field("mname", mname)
            field("rname", rname)
            field("serial", serial)
            field("refresh", refresh)
            field("retry", retry)
            field("expire", expire)
            field("minimum", minimum)
        case .caa(let critical, let tag, let value):
            raw(critical ? ",\"critical\":true" : ",\"critical\":false")
            field("tag", tag)
            field("value", value)
        case .naptr(let order, let preference, let flags, let service, let regexp, let replacement):
            field("order", order)
            field("preference", preference)
            field("flags", flags)
            field("service", service)
            field("regexp", regexp)
            field("replacement", replacement)
        }
        raw("}")
    }

    private mutating func field(_ key: StaticString, _ value: String) {
        raw(",\"")
        raw(key)
        raw("\":")
        string(value)
    }

    private mutating func field<T: FixedWidthInteger>(_ key: StaticString, _ value: T) {
        raw(",\"")
        raw(key)
        raw("\":")
        integer(value)
    }
}

extension ByteBuffer {
    /// The `stats` result: flat counters, then `cache`, `coalesced`, `upstream` and `latency_us`.
    mutating func writeStats(_ stats: ServerStats, lookups: LookupService.Statistics, resolver: CoreResolver) {
        writeStaticString("{")
        for (key, value) in stats.snapshot {
            writeJSONString(key)
            writeStaticString(":")
            writeJSONInteger(value)
            writeStaticString(",")
        }
        writeStaticString("\"cache\":{\"entries\":")
        writeJSONInteger(lookups.entries)
        writeStaticString(",\"bytes\":")
        writeJSONInteger(lookups.bytes)
        writeStaticString(",\"hits\":")
        writeJSONInteger(lookups.hits)
        writeStaticString(",\"misses\":")
        writeJSONInteger(lookups.misses)
        writeStaticString(",\"evictions\":")
        writeJSONInteger(lookups.evictions)
        writeStaticString("},\"coalesced\":")
        writeJSONInteger(lookups.coalesced)
        // What the running resolver measured at start (see ReceiveBufferCapacity); 0 when it could not.
        writeStaticString(",\"upstream\":{\"channels\":")
        writeJSONInteger(resolver.configuration.channelCount)
        writeStaticString(",\"queries_in_flight_per_channel\":")
        writeJSONInteger(resolver.queryLimitPerChannel)
        writeStaticString(",\"receive_buffer_bytes\":")
        writeJSONInteger(resolver.receiveBuffer?.grantedBytes ?? 0)
        writeStaticString("},\"latency_us\":{")
        for (index, (key, value)) in stats.latencyPercentiles.enumerated() {
            if index > 0 { writeStaticString(",") }
            writeJSONString(key)
            writeStaticString(":")
            writeJSONInteger(value)
        }
        writeStaticString("}}")
    }
}
