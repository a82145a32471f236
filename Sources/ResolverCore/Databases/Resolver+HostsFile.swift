import ResolverTypes

/// Whether the hosts file answers a question, for reports about lookups (the daemon's
/// `monitor` events say `source: "hosts"`), not for resolving: the lookups themselves consult
/// the same database on their own path. Package access: only the daemon asks.
extension Resolver {
    /// The hosts file lists `name` (any family when `family` is `.unspecified`).
    package func hostsFileAnswers(name: String, family: AddressFamily) -> Bool {
        guard let match = databases.hosts.addresses(for: name, family: family) else { return false }
        return !match.addresses.isEmpty
    }

    /// The hosts file has a line for `address`.
    package func hostsFileAnswers(address: String) -> Bool {
        databases.hosts.names(for: address) != nil
    }
}
