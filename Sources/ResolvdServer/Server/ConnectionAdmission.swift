import Logging
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Admits or refuses each new connection by its peer's uid (SO_PEERCRED) with
/// ``ConnectionShares``, counts refusals in `stats` (`rejected`, `connections_refused`)
/// and logs them through a ``RefusalLog``. An admitted connection gives its slot back when
/// it closes.
///
/// It does not answer a refused peer (``RejectingHandler`` does) or serve an admitted one.
final class ConnectionAdmission: Sendable {
    private let shares = NIOLockedValueBox(ConnectionShares())
    private let stats: ServerStats
    private let refusals: RefusalLog

    init(stats: ServerStats, logger: Logger) {
        self.stats = stats
        self.refusals = RefusalLog(logger: logger)
    }

    /// What ``admit(_:context:)`` decided.
    enum Decision {
        /// Served; the peer's credentials as read here (nil: none), which the connection's
        /// handler keeps — read once per connection, not again by the handler.
        case admitted(PeerCredentials?)
        /// Refused, with the refusal's message.
        case refused(String)
    }

    /// Whether `channel` is admitted. Call it on the channel's event loop (the peer's
    /// credentials are then read at once).
    func admit(_ channel: any Channel, context: ServerContext) -> EventLoopFuture<Decision> {
        let promise = channel.eventLoop.makePromise(of: Decision.self)
        PeerCredentials.read(from: channel) { [self] peer in
            let configured = context.limits
            let limits = ConnectionShares.Limits(
                maxConnections: configured.maxConnections, perUID: configured.maxConnectionsPerUID,
                adminReserved: min(configured.adminConnections, configured.maxConnections))
            let uid = peer?.uid
            let decision = shares.withLockedValue { shares in
                shares.admit(uid: uid, limits: limits) { context.admin.policy.isAdmin(peer) }
            }
            guard decision != .admit else {
                channel.closeFuture.whenComplete { [self] _ in shares.withLockedValue { $0.release(uid: uid) } }
                return promise.succeed(.admitted(peer))
            }
            stats.rejected.add(1, ordering: .relaxed)
            stats.connectionsRefused.add(1, ordering: .relaxed)
            let message = decision.message(limits, uid: uid)
            refusals.refused(message, on: channel.eventLoop)
            promise.succeed(.refused(message))
        }
        return promise.futureResult
    }
}
