/// The result codes of the three Windows cancel calls, as one table: what
/// GetAddrInfoExCancel, WSACancelAsyncRequest and CancelIoEx(NULL) answer for each state a
/// handle can be in.
///
/// Both cancel implementations are built on it: the engine's (``Resolver/cancel(_:)``,
/// ``Resolver/cancelAsyncRequest(_:)``, ``Resolver/cancelAll(owner:)``, over resolver
/// handles) and the daemon's (per-connection request ids over shared lookups). Each one
/// works out which ``HandleState`` a handle is in — with ``handleState(_:lastIssued:tryCancel:)``
/// — and reads the answer here; neither spells a result code of its own.
///
/// It does not cancel anything, and it does not know registries or connections: whether a
/// lookup was pending and whether the cancel won it is for the caller to find out (the
/// `tryCancel` closure), and so is the order of the replies.
public enum CancelRules {
    /// Which cancel call.
    public enum Call: Sendable, CaseIterable {
        /// GetAddrInfoExCancel (`cancel`).
        case cancel
        /// WSACancelAsyncRequest (`cancel_async_request`).
        case cancelAsyncRequest
    }

    /// What a cancel call found its handle to be.
    public enum HandleState: Sendable, CaseIterable {
        /// The lookup was in flight and this call ended it (its completion has run with
        /// WSA_E_CANCELLED).
        case pending
        /// Issued and no longer in flight: answered, failed, timed out, cancelled or
        /// aborted — including a lookup that finished a moment before this call.
        case finished
        /// Greater than every handle issued so far.
        case neverIssued
        /// Zero, never issued.
        case zero
        /// Below zero: never a handle (only the daemon's wire can carry one).
        case negative
    }

    /// The table: what `call` answers for a handle in `state`.
    ///
    /// | state | GetAddrInfoExCancel | WSACancelAsyncRequest |
    /// |---|---|---|
    /// | pending | 0 | 0 |
    /// | finished | 6 WSA_INVALID_HANDLE | 10037 WSAEALREADY |
    /// | never issued | 6 | 10022 WSAEINVAL |
    /// | zero | 6 | 10022 |
    /// | negative | 6 | 10022 |
    @inlinable
    public static func resultCode(_ call: Call, _ state: HandleState) -> ResultCode {
        switch (call, state) {
        case (_, .pending): .noError
        // GetAddrInfoExCancel answers every handle that is not a pending lookup alike.
        case (.cancel, _): .invalidHandle
        case (.cancelAsyncRequest, .finished): .alreadyInProgress
        case (.cancelAsyncRequest, .neverIssued), (.cancelAsyncRequest, .zero), (.cancelAsyncRequest, .negative): .invalidArgument
        }
    }

    /// CancelIoEx(NULL): 0 when it aborted at least one lookup, else ERROR_NOT_FOUND.
    @inlinable
    public static func cancelAllResultCode(aborted: Int) -> ResultCode {
        aborted > 0 ? .noError : .notFound
    }

    /// Which state `handle` is in, given the last handle issued: zero, negative and never
    /// issued are decided here; for any other handle `tryCancel` runs and says whether it
    /// ended a pending lookup (true: ``HandleState/pending``) or found none
    /// (false: ``HandleState/finished``).
    @inlinable
    public static func handleState(_ handle: Int64, lastIssued: Int64, tryCancel: () -> Bool) -> HandleState {
        if handle == 0 { return .zero }
        if handle < 0 { return .negative }
        if handle > lastIssued { return .neverIssued }
        return tryCancel() ? .pending : .finished
    }

    /// ``handleState(_:lastIssued:tryCancel:)`` for the engine's unsigned handles.
    @inlinable
    public static func handleState(_ handle: UInt64, lastIssued: UInt64, tryCancel: () -> Bool) -> HandleState {
        if handle == 0 { return .zero }
        if handle > lastIssued { return .neverIssued }
        return tryCancel() ? .pending : .finished
    }
}
