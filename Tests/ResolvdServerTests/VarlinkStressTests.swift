import Dispatch
import NIOConcurrencyHelpers
import ResolvdServer
import ResolverTesting
import Testing

/// Many Varlink calls at once, pipelined and from many connections that hang up at random
/// moments, over lookups shared with a v1 client: every call that stays is answered once
/// and in order, every hang-up cancels only its own waiter, nothing is left in flight.
@Suite struct VarlinkStressTests {
    @Test func pipelinedCallsAndRandomHangUps() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .milliseconds(2))
        defer { proxy.stop() }
        let daemon = try DaemonProcess.start(upstream: proxy.serverAddress)
        defer { daemon.stop() }
        let names = 150
        // A v1 client asks the same names (the same keys): its lookups must all succeed
        // whoever hangs up on the shared ones.
        let v1 = try daemon.connect()
        for index in 0..<names {
            v1.send(#"{"id":\#(index + 1),"op":"getaddrinfo","name":"v\#(index).wild.example.test","family":"inet","socktype":"stream","flags":["canonname"]}"#)
        }
        // 8 threads × 40 connections, each with 1…5 pipelined calls; half hang up at once.
        let answered = StressTally()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for connection in 0..<40 {
                guard let client = try? LineClient.varlink(path: daemon.varlinkSocketPath) else {
                    answered.fail("connect")
                    continue
                }
                let calls = 1 + (worker + connection) % 5
                for call in 0..<calls {
                    let name = "v\((worker * 40 + connection + call) % names).wild.example.test"
                    if call % 3 == 2 {
                        client.sendVarlinkCall("org.varlink.service.GetInfo")
                    } else {
                        client.sendVarlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"\#(name)","family":2}"#)
                    }
                }
                if (worker + connection) % 2 == 0 {
                    client.close()  // hang up with the calls pending
                    continue
                }
                for call in 0..<calls {
                    let reply = client.reply(timeout: .seconds(20))
                    let ok = call % 3 == 2
                        ? reply?.varlinkParameters?["vendor"]?.stringValue == "resolvd"
                        : VarlinkResolveTests.bytes(reply) == [[192, 0, 2, 99]]
                    if ok { answered.add() } else { answered.fail("call \(call): \(String(describing: reply))") }
                }
                client.close()
            }
        }
        #expect(answered.failures.isEmpty, "\(answered.failures.prefix(5))")
        #expect(answered.count > 0)
        var statuses: [Int64] = []
        for _ in 0..<names { if let status = v1.reply(timeout: .seconds(20))?.status { statuses.append(status) } }
        #expect(statuses.count == names && statuses.allSatisfy { $0 == 0 }, "v1 replies: \(statuses.filter { $0 != 0 })")
        var id: Int64 = 1000
        let stats = try #require(v1.waitForStat("in_flight", toBe: 0, nextID: &id))
        #expect(stats["in_flight"]?.intValue == 0)
        #expect(stats["completed"]?.intValue == stats["lookups"]?.intValue, "\(stats)")
        #expect((stats["front_ends"]?.objectValue?["varlink"]?.intValue ?? 0) > 0)
    }

    /// One connection, 2,000 pipelined calls: the replies come back in call order.
    @Test func twoThousandPipelinedCallsInOrder() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .milliseconds(1))
        defer { proxy.stop() }
        let daemon = try DaemonProcess.start(upstream: proxy.serverAddress)
        defer { daemon.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let calls = 2_000
        for call in 0..<calls {
            if call % 7 == 0 {
                client.sendVarlinkCall("org.varlink.service.GetInterfaceDescription", #"{"interface":"nope.\#(call)"}"#)
            } else {
                client.sendVarlinkCall("io.systemd.Resolve.ResolveHostname", #"{"name":"p\#(call % 300).wild.example.test","family":2}"#)
            }
        }
        var outOfOrder: [Int] = []
        for call in 0..<calls {
            let reply = client.reply(timeout: .seconds(20))
            let inOrder = call % 7 == 0
                ? reply?.varlinkParameters?["interface"]?.stringValue == "nope.\(call)"
                : VarlinkResolveTests.bytes(reply) == [[192, 0, 2, 99]]
            if !inOrder { outOfOrder.append(call) }
        }
        #expect(outOfOrder.isEmpty, "calls answered out of order or wrongly: \(outOfOrder.prefix(10))")
    }
}

/// A counter and a failure list shared by the stress test's threads.
final class StressTally: Sendable {
    private let state = NIOLockedValueBox((count: 0, failures: [String]()))

    func add() { state.withLockedValue { $0.count += 1 } }
    func fail(_ reason: String) { state.withLockedValue { $0.failures.append(reason) } }
    var count: Int { state.withLockedValue { $0.count } }
    var failures: [String] { state.withLockedValue { $0.failures } }
}
