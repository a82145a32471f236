/// The cancel ops. Handles are request ids on this connection; a handle from another
/// connection means nothing here.
extension ResolvdConnection {
    /// Cancels a pending lookup, as GetAddrInfoExCancel does. The lookup's own
    /// WSA_E_CANCELLED (10111) reply arrives before this returns.
    ///
    /// - Throws: ``ResolverError`` WSA_INVALID_HANDLE (6) if the handle is not pending.
    public func cancel(handle: Int64) async throws {
        try await controlRequest(.cancel(handle: handle))
    }

    /// Cancels a pending lookup, as WSACancelAsyncRequest does.
    ///
    /// - Throws: ``ResolverError`` WSAEALREADY (10037, ``ResultCode/alreadyInProgress``) if
    ///   the lookup has finished, WSAEINVAL (10022) if the handle was never issued.
    public func cancelAsyncRequest(handle: Int64) async throws {
        try await controlRequest(.cancelAsyncRequest(handle: handle))
    }

    /// Cancels every lookup pending on this connection, as CancelIoEx with no
    /// OVERLAPPED does. Each lookup's ERROR_OPERATION_ABORTED (995) reply arrives
    /// before this returns.
    ///
    /// - Returns: How many lookups were cancelled.
    /// - Throws: ``ResolverError`` ERROR_NOT_FOUND (1168) if none was pending.
    public func cancelAll() async throws -> Int {
        try await typedRequest(.cancelAll, CancelAllResult.init(json:)).cancelled
    }

    private func controlRequest(_ command: Request.Command) async throws {
        _ = try await typedRequest(command, EmptyResult.init(json:))
    }
}
