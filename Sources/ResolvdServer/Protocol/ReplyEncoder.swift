import NIOCore
import ResolverCore

/// Writes protocol v1 reply lines straight into a `ByteBuffer`, without building an
/// intermediate JSON tree: this is the daemon's hottest path.
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
        var buffer = allocator.buffer(capacity: 96 + error.message.utf8.count)
        buffer.writeStaticString("{\"id\":")
        if let id { buffer.writeJSONInteger(id) } else { buffer.writeStaticString("null") }
        buffer.writeStaticString(",\"status\":")
        buffer.writeJSONInteger(error.code.rawValue)
        buffer.writeStaticString(",\"error\":")
        buffer.writeJSONString(error.code.symbol)
        buffer.writeStaticString(",\"message\":")
        buffer.writeJSONString(error.message)
        if let required = error.requiredBufferLength {
            buffer.writeStaticString(",\"required\":")
            buffer.writeJSONInteger(required)
        }
        buffer.writeStaticString("}\n")
        return buffer
    }

    /// The reply line for a finished lookup.
    static func reply(id: Int64, result: Result<LookupValue, ResolverError>, allocator: ByteBufferAllocator) -> ByteBuffer {
        switch result {
        case .success(let value):
            success(id: id, allocator: allocator) { buffer in
                switch value {
                case .addressInfo(let info): buffer.writeResult(info)
                case .nameInfo(let info): buffer.writeResult(info)
                case .query(let answer): buffer.writeResult(answer)
                case .host(let entry): buffer.writeResult(entry)
                case .service(let entry): buffer.writeResult(entry)
                case .protocolEntry(let entry): buffer.writeResult(entry)
                }
            }
        case .failure(let error):
            failure(id: id, error: error, allocator: allocator)
        }
    }
}

// MARK: - Result bodies

extension ByteBuffer {
    mutating func writeResult(_ info: AddressInfo) {
        writeStaticString("{\"canonical_name\":")
        if let name = info.canonicalName { writeJSONString(name) } else { writeStaticString("null") }
        writeStaticString(",\"addresses\":[")
        for (index, address) in info.addresses.enumerated() {
            if index > 0 { writeStaticString(",") }
            writeStaticString("{\"family\":")
            writeJSONString(address.family.rawValue)
            writeStaticString(",\"address\":")
            writeJSONString(address.address)
            writeStaticString(",\"port\":")
            writeJSONInteger(address.port)
            writeStaticString(",\"socktype\":")
            writeJSONString(address.socketType.rawValue)
            writeStaticString(",\"protocol\":")
            if let transport = address.transport { writeJSONString(transport.rawValue) } else { writeStaticString("null") }
            writeStaticString(",\"ttl\":")
            writeJSONInteger(address.ttl)
            writeStaticString("}")
        }
        writeStaticString("]}")
    }

    mutating func writeResult(_ info: NameInfo) {
        writeStaticString("{\"host\":")
        writeJSONString(info.host)
        writeStaticString(",\"service\":")
        writeJSONString(info.service)
        writeStaticString("}")
    }

    mutating func writeResult(_ entry: HostEntry) {
        writeStaticString("{\"name\":")
        writeJSONString(entry.name)
        writeStaticString(",\"aliases\":")
        writeJSONStrings(entry.aliases)
        writeStaticString(",\"family\":")
        writeJSONString(entry.family.rawValue)
        writeStaticString(",\"addresses\":")
        writeJSONStrings(entry.addresses)
        writeStaticString("}")
    }

    mutating func writeResult(_ entry: ServiceEntry) {
        writeStaticString("{\"name\":")
        writeJSONString(entry.name)
        writeStaticString(",\"aliases\":")
        writeJSONStrings(entry.aliases)
        writeStaticString(",\"port\":")
        writeJSONInteger(entry.port)
        writeStaticString(",\"proto\":")
        writeJSONString(entry.proto)
        writeStaticString("}")
    }

    mutating func writeResult(_ entry: ProtocolEntry) {
        writeStaticString("{\"name\":")
        writeJSONString(entry.name)
        writeStaticString(",\"aliases\":")
        writeJSONStrings(entry.aliases)
        writeStaticString(",\"number\":")
        writeJSONInteger(entry.number)
        writeStaticString("}")
    }

    mutating func writeResult(_ answer: QueryAnswer) {
        writeStaticString("{\"records\":[")
        for (index, record) in answer.records.enumerated() {
            if index > 0 { writeStaticString(",") }
            writeRecord(record)
        }
        writeStaticString("]}")
    }

    private mutating func writeRecord(_ record: DNSRecord) {
        writeStaticString("{\"name\":")
        writeJSONString(record.name)
        writeStaticString(",\"type\":")
        writeJSONString(record.type.rawValue)
        writeStaticString(",\"ttl\":")
        writeJSONInteger(record.ttl)
        switch record.data {
        case .a(let address), .aaaa(let address):
            writeField("address", address)
        case .cname(let target), .ns(let target), .ptr(let target):
            writeField("target", target)
        case .mx(let preference, let exchange):
            writeField("preference", preference)
            writeField("exchange", exchange)
        case .srv(let priority, let weight, let port, let target):
            writeField("priority", priority)
            writeField("weight", weight)
            writeField("port", port)
            writeField("target", target)
        case .txt(let strings):
            writeStaticString(",\"strings\":")
            writeJSONStrings(strings)
        case .soa(let mname, let rname, let serial, let refresh, let retry, let expire, let minimum):
            writeField("mname", mname)
            writeField("rname", rname)
            writeField("serial", serial)
            writeField("refresh", refresh)
            writeField("retry", retry)
            writeField("expire", expire)
            writeField("minimum", minimum)
        case .caa(let critical, let tag, let value):
            writeStaticString(critical ? ",\"critical\":true" : ",\"critical\":false")
            writeField("tag", tag)
            writeField("value", value)
        case .naptr(let order, let preference, let flags, let service, let regexp, let replacement):
            writeField("order", order)
            writeField("preference", preference)
            writeField("flags", flags)
            writeField("service", service)
            writeField("regexp", regexp)
            writeField("replacement", replacement)
        }
        writeStaticString("}")
    }

    private mutating func writeField(_ key: StaticString, _ value: String) {
        writeStaticString(",\"")
        writeStaticString(key)
        writeStaticString("\":")
        writeJSONString(value)
    }

    private mutating func writeField<T: FixedWidthInteger>(_ key: StaticString, _ value: T) {
        writeStaticString(",\"")
        writeStaticString(key)
        writeStaticString("\":")
        writeJSONInteger(value)
    }

    mutating func writeJSONStrings(_ strings: [String]) {
        writeStaticString("[")
        for (index, string) in strings.enumerated() {
            if index > 0 { writeStaticString(",") }
            writeJSONString(string)
        }
        writeStaticString("]")
    }
}

extension ByteBuffer {
    /// The `stats` result: flat counters, then `cache`, `coalesced` and `latency_us`.
    mutating func writeStats(_ stats: ServerStats, lookups: LookupService.Statistics) {
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
        writeStaticString(",\"latency_us\":{")
        for (index, (key, value)) in stats.latencyPercentiles.enumerated() {
            if index > 0 { writeStaticString(",") }
            writeJSONString(key)
            writeStaticString(":")
            writeJSONInteger(value)
        }
        writeStaticString("}}")
    }
}
