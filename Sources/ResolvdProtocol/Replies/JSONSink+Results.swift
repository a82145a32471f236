import ResolverTypes

/// The `result` bodies of the lookup ops, written token by token into any ``JSONSink``
/// (docs/protocol.md, "Results"). The typed results' `init?(json:)` read them back.
///
/// `@inlinable`, so the daemon's reply path is specialized for its sink as if written in
/// the daemon itself; they write one body each and no reply envelope.
extension JSONSink {
    @inlinable
    public mutating func result(_ info: AddressInfo) {
        raw("{\"canonical_name\":")
        if let name = info.canonicalName { string(name) } else { raw("null") }
        raw(",\"addresses\":[")
        for (index, address) in info.addresses.enumerated() {
            if index > 0 { raw(",") }
            // The enum members as constant text (ResolvedAddress+WireText.swift).
            raw(address.family.addressStartText)
            string(address.address)
            raw(",\"port\":")
            integer(address.port)
            raw(address.socketType.socketTypeMemberText)
            raw(address.transport.transportValueText)
            integer(address.ttl)
            raw("}")
        }
        raw("]}")
    }

    @inlinable
    public mutating func result(_ info: NameInfo) {
        raw("{\"host\":")
        string(info.host)
        raw(",\"service\":")
        string(info.service)
        raw("}")
    }

    @inlinable
    public mutating func result(_ entry: HostEntry) {
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

    @inlinable
    public mutating func result(_ entry: ServiceEntry) {
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

    @inlinable
    public mutating func result(_ entry: ProtocolEntry) {
        raw("{\"name\":")
        string(entry.name)
        raw(",\"aliases\":")
        strings(entry.aliases)
        raw(",\"number\":")
        integer(entry.number)
        raw("}")
    }

    @inlinable
    public mutating func result(_ answer: QueryAnswer) {
        raw("{\"records\":[")
        for (index, record) in answer.records.enumerated() {
            if index > 0 { raw(",") }
            dnsRecord(record)
        }
        raw("]}")
    }

    @inlinable
    public mutating func dnsRecord(_ record: DNSRecord) {
        raw("{\"name\":")
        string(record.name)
        raw(",\"type\":")
        string(record.typeName)
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
        case .unknown:
            // RFC 3597's generic form: `dump_cache` shows what the DNS stub cached of such types.
            field("rdata", record.data.genericPresentation ?? "")
        }
        raw("}")
    }

    @inlinable
    mutating func field(_ key: StaticString, _ value: String) {
        raw(",\"")
        raw(key)
        raw("\":")
        string(value)
    }

    @inlinable
    mutating func field<T: FixedWidthInteger>(_ key: StaticString, _ value: T) {
        raw(",\"")
        raw(key)
        raw("\":")
        integer(value)
    }
}
