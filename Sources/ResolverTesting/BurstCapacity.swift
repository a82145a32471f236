import ResolverCore

/// How many queries a fixture server started by this process — unbound, the delaying
/// proxy — takes in one burst without dropping any.
///
/// Each asks for an 8 MiB receive buffer, which the kernel grants only with
/// CAP_NET_ADMIN; without it (a CI container) the buffer is `net.core.rmem_max`, 208 KiB
/// on a stock kernel, and holds a few hundred datagrams. A test that fires a thousand
/// lookups at once must then keep its resolver's total in flight under this, or it tests
/// the fixture's socket instead of the resolver. Measured like the resolver measures its
/// own sockets, with the largest UDP reply, so it errs low.
public enum BurstCapacity {
    public static let fixtureServer: Int =
        ReceiveBufferCapacity.measure(requestedBytes: 8 << 20)?.replies ?? 256

    /// `configuration` with its per-channel query limit lowered, when needed, so that all
    /// channels together never have more queries in flight than a fixture server takes.
    public static func fitted(_ configuration: ResolverConfiguration) -> ResolverConfiguration {
        var fitted = configuration
        let share = max(1, fixtureServer / configuration.channelCount)
        fitted.maxInFlightPerChannel = min(configuration.maxInFlightPerChannel, share)
        return fitted
    }
}
