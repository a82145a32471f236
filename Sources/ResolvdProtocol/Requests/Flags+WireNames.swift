import ResolverTypes

// The flags' names on the wire, for the decoder, the encoder and command lines alike.

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
