import ResolverTypes

/// Reading the `result` bodies of docs/protocol.md back into the shared value types: the
/// inverse of ``JSONSink``'s `result(_:)` writers, for the client.
///
/// Each reader returns `nil` when a member is missing or of the wrong type, and ignores
/// members it does not know. Members the wire does not carry (a host entry's TTL, an
/// answer's negative TTL) read as `nil`.
extension LookupValue {
    /// Reads the `result` of a successful reply to a lookup op.
    public init?(json: JSONValue, operation: Operation) {
        let value: LookupValue?
        switch operation {
        case .getAddrInfo: value = AddressInfo(json: json).map(LookupValue.addressInfo)
        case .getNameInfo: value = NameInfo(json: json).map(LookupValue.nameInfo)
        case .query: value = QueryAnswer(json: json).map(LookupValue.query)
        case .getHostByName, .getHostByAddr: value = HostEntry(json: json).map(LookupValue.host)
        case .getServByName, .getServByPort: value = ServiceEntry(json: json).map(LookupValue.service)
        case .getProtoByName, .getProtoByNumber: value = ProtocolEntry(json: json).map(LookupValue.protocolEntry)
        case .cancel, .cancelAsyncRequest, .cancelAll, .hello, .stats, .reload, .flushCache, .monitor, .dumpCache, .link, .revertLink, .routes:
            value = nil
        }
        guard let value else { return nil }
        self = value
    }
}

extension Reply {
    /// A lookup's outcome as the daemon had it: its typed result, or the failure its status
    /// reports. `nil` when a success reply's `result` does not have `operation`'s shape.
    public func lookupValue(for operation: Operation) -> Result<LookupValue, ResolverError>? {
        if let failure { return .failure(failure) }
        guard let result, let value = LookupValue(json: result, operation: operation) else { return nil }
        return .success(value)
    }
}

extension AddressInfo {
    public init?(json: JSONValue) {
        guard let object = json.objectValue, let elements = object["addresses"]?.arrayValue else { return nil }
        var addresses: [ResolvedAddress] = []
        addresses.reserveCapacity(elements.count)
        for element in elements {
            guard let address = ResolvedAddress(json: element) else { return nil }
            addresses.append(address)
        }
        self.init(canonicalName: object["canonical_name"]?.stringValue, addresses: addresses)
    }
}

extension ResolvedAddress {
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let family = object.word("family", AddressFamily.self),
            let address = object["address"]?.stringValue,
            let port: UInt16 = object.integer("port"),
            let socketType = object.word("socktype", SocketType.self),
            let ttl: UInt32 = object.integer("ttl")
        else { return nil }
        let transport = object.word("protocol", TransportProtocol.self)
        if transport == nil, object["protocol"]?.isNull == false { return nil }
        self.init(family: family, address: address, port: port, socketType: socketType, transport: transport, ttl: ttl)
    }
}

extension NameInfo {
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let host = object["host"]?.stringValue,
            let service = object["service"]?.stringValue
        else { return nil }
        self.init(host: host, service: service)
    }
}

extension HostEntry {
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let name = object["name"]?.stringValue,
            let aliases = object["aliases"]?.stringArrayValue,
            let family = object.word("family", AddressFamily.self),
            let addresses = object["addresses"]?.stringArrayValue
        else { return nil }
        self.init(name: name, aliases: aliases, family: family, addresses: addresses)
    }
}

extension ServiceEntry {
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let name = object["name"]?.stringValue,
            let aliases = object["aliases"]?.stringArrayValue,
            let port: UInt16 = object.integer("port"),
            let proto = object["proto"]?.stringValue
        else { return nil }
        self.init(name: name, aliases: aliases, port: port, proto: proto)
    }
}

extension ProtocolEntry {
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let name = object["name"]?.stringValue,
            let aliases = object["aliases"]?.stringArrayValue,
            let number: Int32 = object.integer("number")
        else { return nil }
        self.init(name: name, aliases: aliases, number: number)
    }
}

extension QueryAnswer {
    public init?(json: JSONValue) {
        guard let elements = json.objectValue?["records"]?.arrayValue else { return nil }
        var records: [DNSRecord] = []
        records.reserveCapacity(elements.count)
        for element in elements {
            guard let record = DNSRecord(json: element) else { return nil }
            records.append(record)
        }
        self.init(records: records)
    }
}

extension DNSRecord {
    /// Reads one element of a `query` result's `records`: `name`, `type`, `ttl` and the
    /// members of that type; `nil` for a type the protocol does not define.
    public init?(json: JSONValue) {
        guard let object = json.objectValue,
            let name = object["name"]?.stringValue,
            let ttl: UInt32 = object.integer("ttl")
        else { return nil }
        if let type = object.word("type", DNSRecordType.self), let data = DNSRecordData(type: type, members: object) {
            self.init(name: name, ttl: ttl, data: data)
            return
        }
        // A type resolvd keeps opaque (`dump_cache`): `TYPE65` and RFC 3597's `rdata`.
        guard let type = object["type"]?.stringValue, type.hasPrefix("TYPE"), let number = UInt16(type.dropFirst(4)),
              let rdata = object["rdata"]?.stringValue, let data = DNSRecordData(type: number, genericPresentation: rdata)
        else { return nil }
        self.init(name: name, ttl: ttl, data: data)
    }
}

extension DNSRecordData {
    fileprivate init?(type: DNSRecordType, members object: JSONObject) {
        func text(_ key: String) -> String? { object[key]?.stringValue }
        func number<T: FixedWidthInteger>(_ key: String) -> T? { object.integer(key) }
        switch type {
        case .a, .aaaa:
            guard let address = text("address") else { return nil }
            self = type == .a ? .a(address: address) : .aaaa(address: address)
        case .cname, .ns, .ptr:
            guard let target = text("target") else { return nil }
            switch type {
            case .cname: self = .cname(target: target)
            case .ns: self = .ns(target: target)
            default: self = .ptr(target: target)
            }
        case .mx:
            guard let preference: UInt16 = number("preference"), let exchange = text("exchange") else { return nil }
            self = .mx(preference: preference, exchange: exchange)
        case .srv:
            guard let priority: UInt16 = number("priority"), let weight: UInt16 = number("weight"),
                let port: UInt16 = number("port"), let target = text("target")
            else { return nil }
            self = .srv(priority: priority, weight: weight, port: port, target: target)
        case .txt:
            guard let strings = object["strings"]?.stringArrayValue else { return nil }
            self = .txt(strings: strings)
        case .soa:
            guard let mname = text("mname"), let rname = text("rname"), let serial: UInt32 = number("serial"),
                let refresh: UInt32 = number("refresh"), let retry: UInt32 = number("retry"),
                let expire: UInt32 = number("expire"), let minimum: UInt32 = number("minimum")
            else { return nil }
            self = .soa(mname: mname, rname: rname, serial: serial, refresh: refresh, retry: retry, expire: expire, minimum: minimum)
        case .caa:
            guard let critical = object["critical"]?.boolValue, let tag = text("tag"), let value = text("value") else { return nil }
            self = .caa(critical: critical, tag: tag, value: value)
        case .naptr:
            guard let order: UInt16 = number("order"), let preference: UInt16 = number("preference"),
                let flags = text("flags"), let service = text("service"), let regexp = text("regexp"),
                let replacement = text("replacement")
            else { return nil }
            self = .naptr(order: order, preference: preference, flags: flags, service: service, regexp: regexp, replacement: replacement)
        }
    }
}

// Readers the typed results share, on top of the accessors JSONValue has.

extension JSONValue {
    /// The elements as strings, if this is an array of strings only.
    public var stringArrayValue: [String]? {
        guard let array = arrayValue else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(array.count)
        for element in array {
            guard let string = element.stringValue else { return nil }
            strings.append(string)
        }
        return strings
    }
}

extension JSONObject {
    /// The member `key` as a `T`, if it is an integer (as `JSONValue.intValue` reads one) that fits.
    func integer<T: FixedWidthInteger>(_ key: String) -> T? {
        self[key]?.intValue.flatMap { T(exactly: $0) }
    }

    /// The member `key` as one of the protocol's words (`"inet6"`, `"MX"`), if it is one.
    func word<Word: RawRepresentable>(_ key: String, _: Word.Type) -> Word? where Word.RawValue == String {
        self[key]?.stringValue.flatMap(Word.init(rawValue:))
    }
}
