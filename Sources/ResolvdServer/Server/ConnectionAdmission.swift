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

    /// What ``admit(_:context:decided:)`` decided.
    enum Decision: Sendable {
        /// Served; the peer's credentials as read here (nil: none), which the connection's
        /// handler keeps — read once per connection, not again by the handler.
        case admitted(PeerCredentials?)
        /// Refused, with the refusal's message.
        case refused(String)
    }

    /// Decides whether `channel` is admitted and hands the decision to `decided`. Call it on
    /// the channel's event loop: the peer's credentials are then read, and `decided` runs,
    /// before this returns. An admitted connection holds its slot until
    /// ``connectionClosed(_:)``.
    func admit(_ channel: any Channel, context: ServerContext, decided: @escaping @Sendable (Decision) -> Void) {
        PeerCredentials.read(from: channel) { [self] peer in
            let configured = context.limits
            let limits = ConnectionShares.Limits(
                maxConnections: configured.maxConnections, perUID: configured.maxConnectionsPerUID,
                adminReserved: min(configured.adminConnections, configured.maxConnections))
            let uid = peer?.uid
            let decision = shares.withLockedValue { shares in
                shares.admit(uid: uid, limits: limits) { context.admin.policy.isAdmin(peer) }
            }
            guard decision != .admit else { return decided(.admitted(peer)) }
            stats.rejected.add(1, ordering: .relaxed)
            stats.connectionsRefused.add(1, ordering: .relaxed)
            let message = decision.message(limits, uid: uid)
            refusals.refused(message, on: channel.eventLoop)
            decided(.refused(message))
        }
    }

    /// A connection decided on by ``admit(_:context:decided:)`` has closed: an admitted one
    /// gives its slot back.
    func connectionClosed(_ decision: Decision) {
        guard case .admitted(let peer) = decision else { return }
        shares.withLockedValue { $0.release(uid: peer?.uid) }
    }
}
