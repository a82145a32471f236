import Dispatch
import ResolverClient
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The Swift client library against the real daemon.
@Suite struct ClientEndToEndTests {
    @Test func typedLookups() async throws {
        let unbound = try UnboundServer.start()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let connection = try await ResolvdConnection.connect(socketPath: daemon.socketPath)
        let info = try await connection.getAddrInfo(name: "www.example.test", family: .inet, socketType: .stream)
        #expect(info.addresses.map(\.address) == ["192.0.2.10"])
        let host = try await connection.hostByName("multi.example.test")
        #expect(host.addresses.sorted() == ["192.0.2.41", "192.0.2.42"])
        let hello = try await connection.hello()
        #expect(hello.protocolVersion == 1)
        do {
            _ = try await connection.getAddrInfo(name: "nxdomain.example.test")
            Issue.record("nxdomain must fail")
        } catch let error as ResolverError {
            #expect(error.code == .hostNotFound && error.code.symbol == "WSAHOST_NOT_FOUND")
        }
        await connection.close()
    }

    /// A reply line longer than the client accepts closes the connection, and the request
    /// waiting for it fails saying why (LineFrameDecoder's LineTooLong event).
    @Test func aReplyLineTooLongClosesTheConnection() async throws {
        let unbound = try UnboundServer.start()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let connection = try await ResolvdConnection.connect(socketPath: daemon.socketPath, maximumLineLength: 16)
        await #expect(throws: ResolvdConnectionError.connectionClosed(reason: ResolvdConnectionError.lineTooLong(limit: 16).description)) {
            _ = try await connection.hello()
        }
        await connection.close()
    }

    /// Cancelling a Task sends `cancel` for exactly its lookup: the other one on the same
    /// connection still gets its answer.
    @Test func taskCancellationCancelsOneLookup() async throws {
        let unbound = try UnboundServer.start()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        let daemon = try DaemonProcess.start(upstream: proxy.serverAddress)
        defer { daemon.stop() }
        let connection = try await ResolvdConnection.connect(socketPath: daemon.socketPath)
        // The gate keeps both answers at the proxy: neither lookup can finish before the cancel.
        proxy.hold()
        let doomed = Task { try await connection.getAddrInfo(name: "www.example.test", family: .inet) }
        let survivor = Task { try await connection.getAddrInfo(name: "www.example.test", family: .inet6) }
        // Both lookups are in flight once both answers (A and AAAA) are held. The wait
        // blocks, so it runs off the cooperative pool the two tasks need.
        let bothHeld = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: proxy.waitUntil(repliesHeld: 2)) }
        }
        #expect(bothHeld)
        doomed.cancel()
        await #expect(throws: CancellationError.self) { try await doomed.value }
        proxy.release()
        let answer = try await survivor.value
        #expect(answer.addresses.first?.address == "2001:db8::10")
        let stats = try await connection.stats()
        #expect(stats.cancelled == 1)
        await connection.close()
    }
}
