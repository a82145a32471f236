#if canImport(Glibc)
import Glibc
#endif

/// Decides whether a connection may run operations that change state for every client
/// (`reload` now, `flush_cache` with the cache): resolving is open to every local user,
/// these are not.
///
/// A peer is an admin when its uid is 0, or its gid is the configured `admin_group`, or it
/// is a member of that group: by the `Groups:` of /proc/PID/status when the daemon can read
/// it, else (e.g. `ProtectProc=invisible` hides other users' processes) by the group
/// database's member list for the peer's user name. Checked per operation, with the
/// credentials read once per connection (``PeerCredentials``); a refused operation is
/// answered ``ResolverCore/ResultCode/accessDenied`` (10013 WSAEACCES).
public struct AdminPolicy: Sendable, Hashable {
    /// The `admin_group` setting, resolved when the configuration is loaded.
    public struct Group: Sendable, Hashable {
        public var name: String
        public var gid: gid_t

        public init(name: String, gid: gid_t) {
            self.name = name
            self.gid = gid
        }

        /// Looks the group up by name (or takes a number as a gid); nil if there is no such group.
        public static func lookUp(_ name: String) -> Group? {
            var entry = Glibc.group()
            var result: UnsafeMutablePointer<Glibc.group>?
            var buffer = [CChar](repeating: 0, count: 16384)
            if getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil {
                return Group(name: name, gid: entry.gr_gid)
            }
            if let gid = gid_t(name) { return Group(name: name, gid: gid) }
            return nil
        }
    }

    /// Nil: only uid 0 is an admin.
    public var group: Group?

    public init(group: Group? = nil) {
        self.group = group
    }

    /// True when `peer` may run admin operations; false for unknown credentials.
    public func isAdmin(_ peer: PeerCredentials?) -> Bool {
        guard let peer else { return false }
        if peer.uid == 0 { return true }
        guard let group else { return false }
        if peer.gid == group.gid { return true }
        if let groups = peer.supplementaryGroups() { return groups.contains(group.gid) }
        return Self.groupDatabaseLists(uid: peer.uid, asMemberOf: group.gid)
    }

    /// Who may run admin operations, for refusal messages.
    public var requirement: String {
        group.map { "uid 0 or group \($0.name) (gid \($0.gid))" } ?? "uid 0"
    }

    private static func groupDatabaseLists(uid: uid_t, asMemberOf gid: gid_t) -> Bool {
        var user = passwd()
        var userResult: UnsafeMutablePointer<passwd>?
        var userBuffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &user, &userBuffer, userBuffer.count, &userResult) == 0, userResult != nil else { return false }
        if user.pw_gid == gid { return true }
        let userName = String(cString: user.pw_name)
        var entry = Glibc.group()
        var result: UnsafeMutablePointer<Glibc.group>?
        var buffer = [CChar](repeating: 0, count: 65536)
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil, var member = entry.gr_mem else { return false }
        while let name = member.pointee {
            if String(cString: name) == userName { return true }
            member += 1
        }
        return false
    }
}
