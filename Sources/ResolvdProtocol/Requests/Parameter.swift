import ResolverTypes

/// Every request member any op reads, by its wire name: the decoder and the encoder spell
/// parameters only through this list, so they cannot drift apart.
enum Parameter: String, CaseIterable {
    case id, op, name, service, family, socktype, `protocol`, flags
    case timeout = "timeout_ms"
    case address, port, type, buflen, proto, number, handle

    /// This parameter's bit in the decoder's set of members read (no allocation per request).
    var bit: UInt32 {
        1 << UInt32(Self.allCases.firstIndex(of: self)!)
    }
}

extension AddressInfoFlags {
    /// Each flag's wire name (`canonname`, …), in the order they are written.
    public static let wireNames: [(name: String, flag: AddressInfoFlags)] = [
        ("canonname", .canonicalName), ("numerichost", .numericHost), ("numericserv", .numericService),
        ("addrconfig", .addressConfig), ("v4mapped", .v4Mapped), ("all", .all),
    ]
}

extension NameInfoFlags {
    /// Each flag's wire name (`namereqd`, …), in the order they are written.
    public static let wireNames: [(name: String, flag: NameInfoFlags)] = [
        ("namereqd", .nameRequired), ("numerichost", .numericHost), ("numericserv", .numericService),
        ("nofqdn", .noFQDN), ("dgram", .datagram),
    ]
}
