import NIOCore
import ResolverCore

/// The admin ops, `reload` and `flush_cache` (and `link`, `revert_link`:
/// ConnectionHandler+Links.swift): they change state for every client, so only
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
        guard requireAdmin(id: id, op: "reload") else { return }
        server.logger.notice("reload requested", metadata: ["peer": "\(peer.map(\.description) ?? "unknown")"])
        let admin = server.admin
        runAdminTask(id: id) {
            await admin.reload().map { EmptyResult() }.mapError {
                .invalidArgument("reload failed; the running configuration is kept: \($0)")
            }
        }
    }

    /// Runs an admin op off the event loop and writes its reply when it is done; until then
    /// it is work the ``ConnectionStateMachine`` waits for before closing a half-closed
    /// connection.
    func runAdminTask<Result: JSONWritable & Sendable>(id: Int64, _ body: @escaping @Sendable () async -> Swift.Result<Result, ResolverError>) {
        guard let context else { return }
        state.adminOpStarted()
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: Swift.Result<Result, ResolverError>.self)
        promise.completeWithTask { await body() }
        promise.futureResult.whenSuccess { outcome in
            let this = handler.value
            switch outcome {
            case .success(let result):
                this.writeLine(SuccessLine(id: id, result: result))
            case .failure(let error):
                this.write(ReplyEncoder.failure(id: id, error: error, allocator: this.allocator))
            }
            this.execute(this.state.adminOpFinished())
        }
    }
}
