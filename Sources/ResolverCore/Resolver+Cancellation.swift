/// The three ways to cancel, with the result codes of the Windows calls they mirror
/// (``CancelRules``, the table the daemon's cancel ops use too).
///
/// A cancelled lookup is detached, not stopped: c-ares 1.18 can only cancel every query
/// on a channel (ares_cancel), which would hurt other callers, so the lookup's
/// completion is delivered now and c-ares' late answer is dropped when it comes.
/// Cancelling never waits for the network and takes no lock while a completion runs,
/// so it is safe from inside a completion handler.
extension Resolver {
    /// GetAddrInfoExCancel: cancels a pending lookup.
    ///
    /// - Returns: ``ResultCode/noError`` when the lookup was pending; its completion has
    ///   then already run with ``ResultCode/cancelled`` (WSA_E_CANCELLED). For a lookup
    ///   that has completed or timed out, a handle never issued, or zero:
    ///   ``ResultCode/invalidHandle`` (WSA_INVALID_HANDLE).
    @discardableResult
    public func cancel(_ handle: LookupHandle) -> ResultCode {
        CancelRules.resultCode(.cancel, handleState(handle))
    }

    /// WSACancelAsyncRequest: cancels a pending lookup.
    ///
    /// - Returns: ``ResultCode/noError`` when the lookup was pending (its completion has
    ///   run with ``ResultCode/cancelled``); ``ResultCode/alreadyInProgress``
    ///   (WSAEALREADY) for a handle that was issued and has finished;
    ///   ``ResultCode/invalidArgument`` (WSAEINVAL) for zero or a handle never issued.
    @discardableResult
    public func cancelAsyncRequest(_ handle: LookupHandle) -> ResultCode {
        CancelRules.resultCode(.cancelAsyncRequest, handleState(handle))
    }

    /// Which state `handle` is in; a pending lookup is cancelled (WSA_E_CANCELLED) on the way.
    private func handleState(_ handle: LookupHandle) -> CancelRules.HandleState {
        CancelRules.handleState(handle.rawValue, lastIssued: registry.lastIssued) {
            registry.record(for: handle)?.fail(.cancelled) ?? false
        }
    }

    /// CancelIoEx with a NULL overlapped pointer: aborts every pending lookup of `owner`;
    /// their completions run with ``ResultCode/operationAborted`` (ERROR_OPERATION_ABORTED)
    /// before this returns, in the order the lookups were started.
    ///
    /// - Returns: ``ResultCode/noError`` and how many lookups this call aborted, or
    ///   ``ResultCode/notFound`` (ERROR_NOT_FOUND) and 0 when none was pending.
    @discardableResult
    public func cancelAll(owner: LookupOwner) -> (code: ResultCode, cancelled: Int) {
        var cancelled = 0
        for record in registry.pending(of: owner) where record.fail(.aborted) {
            cancelled += 1
        }
        return (CancelRules.cancelAllResultCode(aborted: cancelled), cancelled)
    }
}
