import NIOCore
import ResolverCore

/// `cancel`, `cancel_async_request` and `cancel_all` over this connection's handles.
///
/// The result codes are ``CancelRules``' table, the one the engine's cancel calls use;
/// what this file adds is what a connection has and the engine does not: handles that are
/// request ids (so "issued" means at most the highest id seen, whatever its op, and a
/// negative handle can arrive), waiters of shared lookups instead of resolver handles
/// (cancelling one never disturbs another connection's identical lookup), and the order
/// of the replies.
///
/// The order: the service answers a cancelled waiter before its cancel call returns, and
/// this handler runs cancels on its event loop, so the lookup's 10111 (or 995) reply is
/// always written before the cancel's own. A cancel that comes too late, while the
/// lookup's answer is still on its way from a resolver thread, is answered after that
/// answer (``writeCancelReply(_:handle:)``).
extension ConnectionHandler {
    /// GetAddrInfoExCancel: 0 after the lookup's 10111 reply, else WSA_INVALID_HANDLE.
    func cancel(id: Int64, handle: Int64) {
        let handleState = self.handleState(handle)
        let code = CancelRules.resultCode(.cancel, handleState)
        writeCancelReply(
            CancelReply(id: id, code: code, message: "handle \(handle) is not a lookup in flight on this connection"), handle: handle)
    }

    /// WSACancelAsyncRequest: 0, WSAEALREADY for an id issued here that has finished,
    /// WSAEINVAL for 0, a negative handle or an id never issued on this connection.
    func cancelAsyncRequest(id: Int64, handle: Int64) {
        let handleState = self.handleState(handle)
        let code = CancelRules.resultCode(.cancelAsyncRequest, handleState)
        let message = handleState == .finished
            ? "handle \(handle) has already finished" : "handle \(handle) was never issued on this connection"
        writeCancelReply(CancelReply(id: id, code: code, message: message), handle: handle)
    }

    /// CancelIoEx(NULL): every lookup in flight gets its 995 reply, then this one.
    func cancelAll(id: Int64) {
        let aborted = abortAll()
        switch CancelRules.cancelAllResultCode(aborted: aborted) {
        case .noError:
            writeLine(SuccessLine(id: id, result: CancelAllResult(cancelled: aborted)))
        case let code:
            write(ReplyEncoder.failure(
                id: id, error: ResolverError(code: code, message: "no lookup in flight on this connection"), allocator: allocator))
        }
    }

    /// Aborts every lookup in flight with ERROR_OPERATION_ABORTED; each reply is queued as
    /// it is aborted. Returns how many this call aborted.
    @discardableResult
    func abortAll() -> Int {
        var cancelled = 0
        // In start order, as CancelIoEx completes them.
        for (_, entry) in inFlight.sorted(by: { $0.key < $1.key }) {
            if let token = entry.token, server.lookups.cancel(token, with: .aborted) { cancelled += 1 }
        }
        return cancelled + endAllMonitors(with: .aborted)
    }

    /// Which of ``CancelRules/HandleState`` `handle` is in on this connection; a lookup in
    /// flight is cancelled (its 10111 reply queued) on the way.
    private func handleState(_ handle: Int64) -> CancelRules.HandleState {
        CancelRules.handleState(handle, lastIssued: lastID) {
            guard let token = inFlight[handle]?.token else { return endMonitor(id: handle, with: .cancelled) }
            return server.lookups.cancel(token, with: .cancelled)
        }
    }

    struct CancelReply {
        var id: Int64
        var code: ResultCode
        var message: String
    }

    /// A cancel that came too late for a lookup still in `inFlight` found it ended on a
    /// resolver thread (answer, error, timeout) with its reply on the way to this event
    /// loop. The cancel's reply then waits for the lookup's (``finish(id:result:)``), so a
    /// client never reads "finished" (6, 10037) before the lookup's own reply.
    private func writeCancelReply(_ reply: CancelReply, handle: Int64) {
        if reply.code != .noError, inFlight[handle] != nil {
            cancelRepliesAfterLookup[handle, default: []].append(reply)
        } else {
            writeCancelReply(reply)
        }
    }

    func writeCancelReply(_ reply: CancelReply) {
        if reply.code == .noError {
            writeLine(SuccessLine(id: reply.id, result: EmptyResult()))
        } else {
            write(ReplyEncoder.failure(id: reply.id, error: ResolverError(code: reply.code, message: reply.message), allocator: allocator))
        }
    }
}
