/// What ``HostsDatabase/addresses(for:family:)`` found for a name.
public struct HostsMatch: Hashable, Sendable {
    /// One address of a hosts line, with its family (``AddressFamily/inet`` or
    /// ``AddressFamily/inet6``, never ``AddressFamily/unspecified``).
    public struct Address: Hashable, Sendable {
        public let family: AddressFamily
        /// The address in its canonical text form (`inet_ntop`): "0:0::1" in the file is "::1" here.
        public let text: String

        public init(family: AddressFamily, text: String) {
            self.family = family
            self.text = text
        }
    }

    /// The official name of the first matching line, as written in the file.
    public let canonicalName: String
    /// The other names of that line, in file order.
    public let aliases: [String]
    /// The addresses of every matching line of the requested family, in file order.
    public let addresses: [Address]

    public init(canonicalName: String, aliases: [String], addresses: [Address]) {
        self.canonicalName = canonicalName
        self.aliases = aliases
        self.addresses = addresses
    }
}
