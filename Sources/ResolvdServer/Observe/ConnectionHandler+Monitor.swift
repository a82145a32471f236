import NIOCore
import ResolvdProtocol
import ResolverCore

/// The `monitor` op on a protocol v1 connection, and this connection's part in reporting
/// its own lookups to every monitor.
///
/// A monitor is long-running work like a lookup (it counts against
/// `max_lookups_per_connection` and keeps a half-closed connection open): event lines
/// `{"id":n,"event":{…}}` while it runs, then exactly one reply — 10111 when cancelled by
/// `cancel` (before the cancel's own reply), 995 by `cancel_all` or a shutdown, none when
/// the connection has closed. An admin peer sees every client's lookups, anyone else only
/// those made under their own uid.
///
/// Writing respects the channel's writability: while the client does not read, its
/// subscription's bounded queue fills and drops (``MonitorSubscription``); nothing piles
/// up in the channel.
extension ConnectionHandler {
    /// How often a monitor whose client does not read is looked at again.
    static let monitorRetryInterval = TimeAmount.milliseconds(20)

    func startMonitor(id: Int64) {
        guard let context, admitLookup(id: id) else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let policy = server.admin.policy
        let peer = self.peer
        let uid: UInt32? = policy.isAdmin(peer) ? nil : (peer?.uid ?? UInt32.max)
        let subscription = MonitorSubscription(uid: uid, owner: peer?.uid) {
            eventLoop.execute { handler.value.drainMonitor(id: id) }
        }
        let configured = server.limits
        let limits = ConnectionShares.Limits(
            maxConnections: configured.maxMonitors, perUID: configured.maxMonitorsPerUID,
            adminReserved: min(configured.adminMonitors, configured.maxMonitors))
        let decision = server.monitors.subscribe(subscription, limits: limits) { uid == nil }
        guard decision == .admit else {
            server.stats.rejected.add(1, ordering: .relaxed)
            let message = decision.message(limits, uid: peer?.uid, things: "monitors running")
            write(ReplyEncoder.failure(id: id, error: ResolverError(code: .noBufferSpace, message: message), allocator: allocator))
            execute(state.lookupFinished())
            return
        }
        monitorSubscriptions[id] = subscription
    }

    /// Writes what the monitor's queue holds, when the channel takes more; else looks again soon.
    func drainMonitor(id: Int64) {
        guard let context, let subscription = monitorSubscriptions[id] else { return }
        guard context.channel.isWritable else {
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: Self.monitorRetryInterval) { handler.value.drainMonitor(id: id) }
            return
        }
        for event in subscription.takeAll() {
            writeLine(MonitorEventLine(id: id, event: event))
        }
    }

    /// Ends monitor `id` with `error` (its one reply); false when no such monitor runs.
    @discardableResult
    func endMonitor(id: Int64, with error: ResolverError) -> Bool {
        guard let subscription = monitorSubscriptions.removeValue(forKey: id) else { return false }
        server.monitors.unsubscribe(subscription)
        write(ReplyEncoder.failure(id: id, error: error, allocator: allocator))
        execute(state.lookupFinished())
        return true
    }

    /// Ends every monitor of this connection (cancel_all, shutdown, close), in id order.
    func endAllMonitors(with error: ResolverError) -> Int {
        guard !monitorSubscriptions.isEmpty else { return 0 }
        let ids = monitorSubscriptions.keys.sorted()
        for id in ids { endMonitor(id: id, with: error) }
        return ids.count
    }

    /// Reports a lookup of this connection that started while someone monitored.
    func reportToMonitors(id: Int64, result: Result<LookupValue, ResolverError>, source: LookupSource, latency: UInt64) {
        guard let key = monitoredLookups.removeValue(forKey: id) else { return }
        server.monitors.publishLookup(
            key: key, result: result, peer: peer, frontend: "v1", source: source, latency: latency, routes: server.lookups.routes)
    }
}

extension MonitorHub {
    /// Reports a finished lookup of either front end to the monitors that may see it; the
    /// event is built only for a monitor with room in its queue.
    func publishLookup(
        key: LookupKey, result: Result<LookupValue, ResolverError>, peer: PeerCredentials?, frontend: String,
        source: LookupSource, latency: UInt64, routes: RouteSet
    ) {
        publish(uid: peer?.uid) {
            // Whether an answer is stale is known only when it comes, not when the lookup starts.
            let route = routes.route(for: key)
            let source: MonitorEvent.Source =
                if case .success(.stale) = result { .stale } else { source.monitorSource(for: key, resolver: route.resolver) }
            let routeName: String? = switch source {
            case .literal, .hosts, .database: nil
            case .cache, .upstream, .coalesced, .stale: route.name
            }
            return MonitorEvent(
                key: key, result: result, peer: peer, frontend: frontend, source: source, route: routeName, latencyMicroseconds: latency)
        }
    }
}
