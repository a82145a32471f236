import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fault matrix through the real daemon (docs/reliability.md, "Fault matrix"), protocol
/// v1 over its socket: for a representative subset of ``UpstreamFault``s, 20 `getaddrinfo`
/// requests pipelined on one connection get exactly one reply per request id — none lost,
/// none doubled — each with the documented status, within the lookup's time bound, and
/// `stats.in_flight` is back to 0. The full matrix, with each fault's counters, runs
/// in-process (`FaultMatrixTests`).
@Suite(.serialized) struct DaemonFaultMatrixTests {
    static let faults: [UpstreamFault] = [.refused, .truncatedThenTCP, .tcpHangs, .tcpResets, .udpLoss, .wrongID, .compressionLoop]

    @Test(arguments: faults)
    func exactlyOneReplyPerRequestWithTheDocumentedStatus(fault: UpstreamFault) throws {
        let unbound = try UnboundServer.start()
        defer { unbound.stop() }
        let running = try fault.start(unbound: unbound)
        defer { running.stop() }
        let daemon = try DaemonProcess.start(upstream: running.address, timeoutMilliseconds: 150, tries: 2)
        defer { daemon.stop() }
        let client = try daemon.connect()
        defer { client.close() }

        let ids = Int64(1)...Int64(20)
        let started = ContinuousClock.now
        for id in ids {
            client.send(#"{"id":\#(id),"op":"getaddrinfo","name":"\#(fault.name(Int(id)))","family":"inet"}"#)
        }
        // Two tries, 150 ms then 300 ms, and margin for a loaded machine and the daemon's own hops.
        let bound = Duration.milliseconds(150 + 300 + 1_000)
        var replies: [Int64: [JSONObject]] = [:]
        while replies.values.reduce(0, { $0 + $1.count }) < ids.count,
              let reply = client.reply(timeout: max(.milliseconds(1), bound - (ContinuousClock.now - started))) {
            replies[reply.id ?? -1, default: []].append(reply)
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed <= bound, "\(fault): replies after \(elapsed)")
        // A second reply to any request would have come by now.
        if let extra = client.reply(timeout: .milliseconds(200)) { replies[extra.id ?? -1, default: []].append(extra) }
        #expect(Set(replies.keys) == Set(ids), "\(fault): replies for ids \(replies.keys.sorted())")
        for (id, list) in replies.sorted(by: { $0.key < $1.key }) {
            #expect(list.count == 1, "\(fault): \(list.count) replies to id \(id)")
            guard let reply = list.first else { continue }
            // Distinct addresses: the daemon returns one entry per socket type.
            let addresses = reply.result?["addresses"]?.arrayValue.map { Set($0.compactMap { $0.objectValue?["address"]?.stringValue }).count }
            switch running.outcome {
            case .code(let expected):
                #expect(reply.status == Int64(expected.rawValue), "\(fault): \(reply)")
            case .answer(let count):
                #expect(reply.status == 0 && addresses == count, "\(fault): \(reply)")
            case .answerOrCode(let count, let expected):
                #expect((reply.status == 0 && addresses == count) || reply.status == Int64(expected.rawValue), "\(fault): \(reply)")
            }
        }
        var nextID: Int64 = 100
        let stats = client.waitForStat("in_flight", toBe: 0, nextID: &nextID)
        #expect(stats?["in_flight"]?.intValue == 0, "\(fault): \(String(describing: stats))")
    }
}
