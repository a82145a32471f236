extension Resolver {
    /// Whether a lookup of `name` is answered without DNS: an IP literal, or a name the
    /// hosts file has addresses of `family` for. The Varlink front end reports such answers
    /// as synthetic (SD_RESOLVED_SYNTHETIC); the lookup itself still decides the answer.
    public func answersLocally(name: String, family: AddressFamily) -> Bool {
        if IPAddress(parsing: name) != nil { return true }
        guard let match = databases.hosts.addresses(for: name, family: family) else { return false }
        return !match.addresses.isEmpty
    }

    /// Whether a reverse lookup of `address` (an IP literal) is answered from the hosts file.
    public func answersLocally(address: String) -> Bool {
        databases.hosts.names(for: address) != nil
    }
}
