import NIOCore

/// A request that has been given its id and queued for writing, and the reply it will get.
///
/// `PendingRequest` is a handle, not a task: dropping it does not cancel anything, and
/// awaiting ``reply()`` does not react to task cancellation (use
/// ``ResolvdConnection/request(op:params:)`` for that). The reply can be awaited more
/// than once.
public struct PendingRequest: Sendable {
    /// The request's id on its connection, which is also its cancel handle.
    public let id: Int64
    /// The request's op, such as `getaddrinfo`.
    public let op: String
    /// Completes, on the connection's event loop, in the order replies arrive.
    public let futureResult: EventLoopFuture<Reply>

    /// Waits for the one final reply to this request, whatever its status.
    ///
    /// - Throws: ``ResolvdConnectionError/connectionClosed(reason:)`` if the connection
    ///   closes first.
    public func reply() async throws -> Reply {
        try await futureResult.get()
    }
}
