import ResolvdProtocol
import ResolverCore

extension ServerStats {
    /// The `stats` result: these counters, the answer cache's, and what the running
    /// default route's resolver measured at start (see ReceiveBufferCapacity; 0 when it
    /// could not), every route's upstreams and lookups.
    func result(lookups: LookupService.Statistics, routes: RouteSet) -> StatsResult {
        let resolver = routes.defaultRoute.resolver
        var result = StatsResult()
        result.inFlight = inFlight.load(ordering: .relaxed)
        result.connections = connections.load(ordering: .relaxed)
        result.lookups = self.lookups.load(ordering: .relaxed)
        let varlink = varlinkLookups.load(ordering: .relaxed)
        let dns = dnsLookups.load(ordering: .relaxed)
        result.frontEnds = StatsResult.FrontEnds(v1: result.lookups - varlink - dns, varlink: varlink, dns: dns)
        result.completed = completed.load(ordering: .relaxed)
        result.cancelled = cancelled.load(ordering: .relaxed)
        result.aborted = aborted.load(ordering: .relaxed)
        result.timedOut = timedOut.load(ordering: .relaxed)
        result.failed = failed.load(ordering: .relaxed)
        result.protocolErrors = protocolErrors.load(ordering: .relaxed)
        result.rejected = rejected.load(ordering: .relaxed)
        result.connectionsRefused = connectionsRefused.load(ordering: .relaxed)
        result.reloads = reloads.load(ordering: .relaxed)
        result.cache = StatsResult.Cache(
            entries: lookups.entries, bytes: lookups.bytes, hits: lookups.hits, misses: lookups.misses, evictions: lookups.evictions,
            stale: lookups.staleAnswers, prefetches: lookups.prefetches)
        result.coalesced = lookups.coalesced
        result.upstream = StatsResult.Upstream(
            channels: resolver.configuration.channelCount,
            queriesInFlightPerChannel: resolver.queryLimitPerChannel,
            receiveBufferBytes: resolver.receiveBuffer?.grantedBytes ?? 0,
            repliesDropped: routes.routes.reduce(0) { $0 + $1.resolver.repliesDropped })
        result.latency = latencyPercentiles
        result.upstreams = routes.upstreamStatuses
        result.routes = routes.routes.map { RouteStatistics(name: $0.name, domains: $0.domains.count, lookups: $0.upstreams.lookups.load(ordering: .relaxed)) }
        return result
    }
}
