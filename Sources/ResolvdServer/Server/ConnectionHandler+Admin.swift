import NIOCore
import ResolverCore

/// The admin ops, `reload` and `flush_cache`: they change state for every client, so only
/// an admin peer (``AdminPolicy``) may run them; anyone else is answered WSAEACCES.
///
/// A reload runs off the event loop (``AdminControl/reload()``); until it answers it is
/// work the ``ConnectionStateMachine`` waits for before closing a half-closed connection.
/// It does not decide who is an admin (``AdminPolicy``) or how to reload (``AdminControl``).
extension ConnectionHandler {
    /// The peer may run an op that changes state for every client; if not, it is answered
    /// WSAEACCES and false returned.
    func requireAdmin(id: Int64, op: String) -> Bool {
        let policy = server.admin.policy
        if policy.isAdmin(peer) { return true }
        server.logger.debug("admin op refused", metadata: ["op": "\(op)", "peer": "\(peer.map(\.description) ?? "unknown")"])
        let who = peer.map { "uid \($0.uid)" } ?? "a peer with unknown credentials"
        let error = ResolverError(code: .accessDenied, message: "\(op) needs \(policy.requirement); this connection is \(who)")
        write(ReplyEncoder.failure(id: id, error: error, allocator: allocator))
        return false
    }

    /// `flush_cache`: empties the answer cache for everyone; replies `{"flushed": n}`.
    func flushCache(id: Int64) {
        guard requireAdmin(id: id, op: "flush_cache") else { return }
        let flushed = server.lookups.flushCache()
        server.logger.notice("cache flushed", metadata: ["entries": "\(flushed)", "peer": "\(peer.map(\.description) ?? "unknown")"])
        writeLine(SuccessLine(id: id, result: FlushCacheResult(flushed: flushed)))
    }

    /// `reload`: the same reload as SIGHUP; 0 once it took, else the reason it did not.
    func reload(id: Int64) {
        guard let context, requireAdmin(id: id, op: "reload") else { return }
        server.logger.notice("reload requested", metadata: ["peer": "\(peer.map(\.description) ?? "unknown")"])
        state.adminOpStarted()
        let admin = server.admin
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: Result<Void, ConfigurationError>.self)
        promise.completeWithTask { await admin.reload() }
        promise.futureResult.whenSuccess { outcome in
            let this = handler.value
            switch outcome {
            case .success:
                this.writeLine(SuccessLine(id: id, result: EmptyResult()))
            case .failure(let error):
                this.write(ReplyEncoder.failure(
                    id: id, error: .invalidArgument("reload failed; the running configuration is kept: \(error)"), allocator: this.allocator))
            }
            this.execute(this.state.adminOpFinished())
        }
    }
}
