import ResolverClient
import ResolverTesting
import Testing

/// ``ResolvdConnection/monitor(bufferingNewest:)`` against the real daemon: events as an
/// AsyncSequence, and leaving the loop or cancelling the task sends `cancel`.
@Suite struct ClientMonitorTests {
    @Test func eventsArriveAndStoppingSendsCancel() async throws {
        let unbound = try UnboundServer.start()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let watcher = try await ResolvdConnection.connect(socketPath: daemon.socketPath)
        let events = watcher.monitor()
        #expect(events.id == 1)
        _ = try await watcher.hello()  // id 2: the monitor runs once this is answered
        let consumer = Task {
            var got: [MonitorEvent] = []
            for try await event in events {
                got.append(event)
                if got.count == 2 { break }
            }
            return got
        }
        let client = try await ResolvdConnection.connect(socketPath: daemon.socketPath)
        _ = try await client.getAddrInfo(name: "www.example.test")
        _ = try await client.getAddrInfo(name: "www.example.test")
        let got = try await consumer.value
        #expect(got.map(\.source) == [.upstream, .cache])
        #expect(got.map(\.name) == ["www.example.test", "www.example.test"])
        #expect(got.allSatisfy { $0.operation == .getAddrInfo && $0.status == 0 && $0.frontend == "v1" && $0.peer?.uid == 0 })
        // Leaving the loop sent `cancel` for id 1: it has finished (WSAEALREADY), and the
        // next monitor gets its own id.
        let first = try await watcher.request(.cancelAsyncRequest(handle: 1))
        #expect(first.status.rawValue == 10037, "\(first.line)")

        // Cancelling the consuming task ends the stream and the monitor the same way.
        let second = watcher.monitor()  // id 4
        _ = try await watcher.hello()
        let waiting = Task { () -> Int in
            var count = 0
            do { for try await _ in second { count += 1 } } catch {}
            return count
        }
        waiting.cancel()
        #expect(await waiting.value == 0)
        // The cancel was queued as the stream ended, so before this request.
        #expect(try await watcher.request(.cancelAsyncRequest(handle: 4)).status.rawValue == 10037)
        await watcher.close()
        await client.close()
    }
}
