#if canImport(Glibc)
import Glibc
#endif

/// Who may have a connection: `max_connections` in all, at most `max_connections_per_uid`
/// of them for any one uid that is not an admin, and the last `admin_connections` slots
/// for admins (uid 0 and `admin_group`) only — so that one local user can lock out neither
/// the other users nor the operator. ``MonitorHub`` counts monitors with one of its own
/// (`max_monitors`, `max_monitors_per_uid`, `admin_monitors`).
///
/// Admins are bounded by `max_connections` alone. A peer whose credentials cannot be read
/// counts as a non-admin of its own (uid `nil`). It counts connections and decides; it
/// does not read credentials, answer refused peers or log (``ResolvdDaemon`` does), and it
/// is a value, kept under a lock by its owner and tested on its own
/// (`ConnectionSharesTests`).
struct ConnectionShares {
    struct Limits: Equatable {
        var maxConnections: Int
        var perUID: Int
        var adminReserved: Int
    }

    private(set) var total = 0
    private(set) var byUID: [uid_t: Int] = [:]
    private var unknownPeers = 0

    enum Decision: Equatable {
        case admit
        /// `max_connections` are open.
        case refuseFull
        /// Only the slots kept for admins are left.
        case refuseReservedForAdmins
        /// This uid has its share open already.
        case refuseUIDShare
    }

    /// Decides for a new peer and counts it if admitted. `isAdmin` is asked only when the
    /// decision depends on it (it may read /proc).
    mutating func admit(uid: uid_t?, limits: Limits, isAdmin: () -> Bool) -> Decision {
        guard total < limits.maxConnections else { return .refuseFull }
        let open = uid.map { byUID[$0, default: 0] } ?? unknownPeers
        let overShare = open >= limits.perUID
        let inReserve = total >= limits.maxConnections - limits.adminReserved
        if overShare || inReserve, !isAdmin() {
            return overShare ? .refuseUIDShare : .refuseReservedForAdmins
        }
        total += 1
        if let uid { byUID[uid, default: 0] += 1 } else { unknownPeers += 1 }
        return .admit
    }

    /// An admitted connection has closed.
    mutating func release(uid: uid_t?) {
        total -= 1
        guard let uid else {
            unknownPeers -= 1
            return
        }
        let left = byUID[uid, default: 1] - 1
        byUID[uid] = left > 0 ? left : nil
    }
}

extension ConnectionShares.Decision {
    /// The refusal's reason, for the client's error line and the log; `things` names what
    /// is counted.
    func message(_ limits: ConnectionShares.Limits, uid: uid_t?, things: String = "connections") -> String {
        switch self {
        case .admit: "admitted"
        case .refuseFull: "too many \(things) (limit \(limits.maxConnections))"
        case .refuseReservedForAdmins:
            "too many \(things): the last \(limits.adminReserved) of \(limits.maxConnections) are kept for admins"
        case .refuseUIDShare:
            "too many \(things) for uid \(uid.map { "\($0)" } ?? "unknown") (limit \(limits.perUID) per uid)"
        }
    }
}
