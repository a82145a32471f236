import ResolverCore

/// ResolverCore's `Resolver`, named apart from NIOPosix's `Resolver` protocol.
typealias CoreResolver = ResolverCore.Resolver

extension CoreResolver {
    /// The DNS queries its channels keep in flight at most (channels × the per-channel
    /// limit): what one uid's share, the detached lookups and the prefetches are parts of.
    var queryCapacity: Int { configuration.channelCount * queryLimitPerChannel }

    /// A quarter of ``queryCapacity``, at least one: one uid's default share of the
    /// upstreams, and the most detached lookups.
    var quarterOfQueryCapacity: Int { max(1, queryCapacity / 4) }
}
