import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ResolverTypes

/// SwiftNIO's `Resolver` on resolvd, for `ClientBootstrap(group:).resolver(_:)`: Happy
/// Eyeballs' A and AAAA queries become resolvd `getaddrinfo` lookups (`inet`/`inet6`,
/// stream) on a shared ``ResolvdConnection``, and `cancelQueries()` — which the bootstrap
/// calls once the first address has connected — cancels the lookups still pending *in the
/// daemon* (each one's task is cancelled, which sends `cancel`).
///
/// One resolver serves one connection attempt, as NIO's own `GetaddrinfoResolver` does:
/// `cancelQueries()` cancels every query this instance started. Create one per `connect`.
/// It does not sort addresses beyond the daemon's order, cache, or retry. A family with no
/// address (11004 WSANO_DATA) is an empty list; any other failure fails that query's future
/// with the ``ResolverError``, and a cancelled query's future fails with `CancellationError`.
public final class ResolvdNIOResolver: Resolver, Sendable {
    private let connection: ResolvdConnection
    private let eventLoop: EventLoop
    private let pending = NIOLockedValueBox<[Task<Void, Never>]>([])

    /// - Parameters:
    ///   - connection: The connection the lookups go over (shared with any other use).
    ///   - eventLoop: Where the queries' futures are completed: the bootstrap's loop.
    public init(connection: ResolvdConnection, eventLoop: EventLoop) {
        self.connection = connection
        self.eventLoop = eventLoop
    }

    public func initiateAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        query(host: host, port: port, family: .inet)
    }

    public func initiateAAAAQuery(host: String, port: Int) -> EventLoopFuture<[SocketAddress]> {
        query(host: host, port: port, family: .inet6)
    }

    /// Cancels the queries still pending: each is cancelled in the daemon and its future fails.
    public func cancelQueries() {
        for task in pending.withLockedValue({ tasks in defer { tasks = [] }; return tasks }) { task.cancel() }
    }

    private func query(host: String, port: Int, family: AddressFamily) -> EventLoopFuture<[SocketAddress]> {
        let promise = eventLoop.makePromise(of: [SocketAddress].self)
        let connection = self.connection
        let task = Task {
            do {
                let info = try await connection.getAddrInfo(name: host, family: family, socketType: .stream)
                promise.succeed(try info.addresses.map { try SocketAddress(ipAddress: $0.address, port: port) })
            } catch let error as ResolverError where error.code == .noData {
                promise.succeed([])
            } catch {
                promise.fail(error)
            }
        }
        pending.withLockedValue { $0.append(task) }
        return promise.futureResult
    }
}
