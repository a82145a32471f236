import ResolverTesting
import Testing

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// The upstream faults the fixtures can play (docs/reliability.md, "When upstreams fail";
/// ``UpstreamFault``), each against 20 concurrent lookups through the upstream tracking:
/// every lookup completes exactly once, with the outcome docs/error-codes.md documents for
/// that fault, within the lookup's time bound (c-ares' tries: T, then 2T, with one upstream),
/// and the upstream's counters show the fault. `DaemonFaultMatrixTests` plays a subset
/// through the daemon.
@Suite(.serialized) struct FaultMatrixTests {
    /// The per-try timeout. 150 ms makes the faults that end in a timeout quick; the
    /// truncated-then-TCP case answers every lookup and checks that its TCP retries are not
    /// counted as timeouts, so its try must be long enough for a loaded machine (under TSan,
    /// 20 large answers over TCP were seen to take more than 150 ms).
    static func timeout(for fault: UpstreamFault) -> Duration {
        fault == .truncatedThenTCP ? .milliseconds(1_000) : .milliseconds(150)
    }

    @Test(arguments: UpstreamFault.allCases)
    func everyLookupCompletesOnceWithTheDocumentedCode(fault: UpstreamFault) throws {
        let running = try fault.start(unbound: Fixtures.unbound())
        defer { running.stop() }
        var configuration = try Fixtures.configuration(upstream: running.address, timeoutPerTry: Self.timeout(for: fault), tries: 2)
        configuration.upstreamProbeInterval = .milliseconds(50)
        let resolver = try Resolver(configuration: configuration)
        defer { resolver.shutdown() }
        let logs = (0..<20).map { _ in CompletionLog<AddressInfo>() }
        let started = MonotonicClock.now()
        for (index, log) in logs.enumerated() {
            var request = AddressInfoRequest(name: fault.name(index))
            request.family = .inet
            request.socketType = .stream
            resolver.addressInfo(request, completion: log.handler)
        }
        // One upstream, two tries: T, then 2T; the rest is margin for a loaded machine.
        let bound = Self.timeout(for: fault) * 3 + .milliseconds(700)
        for log in logs { #expect(log.wait(count: 1, timeout: bound)) }
        let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
        #expect(elapsed <= bound, "\(fault): answered after \(elapsed)")
        usleep(100_000)  // a second completion would have come by now
        var answered = 0
        for log in logs {
            #expect(log.count == 1, "\(fault): \(log.count) completions")
            let addresses = log.value?.addresses.count
            if addresses != nil { answered += 1 }
            switch running.outcome {
            case .code(let expected):
                #expect(log.errorCode == expected, "\(fault): \(String(describing: log.results.first))")
            case .answer(let count):
                #expect(addresses == count, "\(fault): \(String(describing: log.results.first))")
            case .answerOrCode(let count, let expected):
                #expect(addresses == count || log.errorCode == expected, "\(fault): \(String(describing: log.results.first))")
            }
        }
        let status = resolver.upstreamStatuses[0]
        print("fault matrix \(fault): 20 lookups, \(answered) answered, last after \(elapsed.components.attoseconds / 1_000_000_000_000_000 + elapsed.components.seconds * 1000) ms; queries \(status.queries), answers \(status.answers), timeouts \(status.timeouts), truncated \(status.truncated), errors \(status.errors)")
        switch fault {
        case .silent: #expect(status.timeouts >= 20 && status.answers == 0)
        case .wrongID:
            // Replies under the wrong id are received (`answers` counts them) but match no
            // query: no round-trip time, and they cannot bring the upstream up (docs/reliability.md).
            #expect(status.timeouts >= 20 && status.answers >= 20, "\(fault): \(status)")
            #expect(!status.up && status.roundTripP50Microseconds == 0, "\(fault): \(status)")
        case .serverFailure: #expect(status.serverFailures >= 20)
        case .refused: #expect(status.refused >= 20)
        case .malformedAnswer, .compressionLoop:
            #expect(status.answers >= 20 && status.timeouts == 0, "\(fault): \(status)")
            // A reply that is no well-formed DNS message is a failure of the server (DNSMessageShape).
            #expect(!status.up && status.consecutiveFailures >= 20, "\(fault): \(status)")
        case .truncatedThenTCP: #expect(status.truncated >= 1 && status.timeouts == 0)
        case .tcpHangs, .tcpCloses, .tcpResets:
            // A query c-ares requeues after the connection failed may go straight to TCP,
            // so not every lookup sees the TC itself.
            #expect(status.truncated >= 1, "\(fault): \(status)")
            #expect((running.scripted?.connectionsAccepted ?? 0) >= 1, "\(fault): no TCP connection")
            if fault == .tcpHangs { #expect(status.timeouts >= 1, "\(fault): \(status)") }
        case .udpLoss:
            // Lost datagrams are timeouts; most lookups still get through on a try.
            // Exactly 30 % of every whole block of datagrams, at most a block's share more.
            let (seen, dropped) = running.proxy?.datagrams ?? (0, 0)
            let wholeBlocks = seen / DelayingProxy.lossBlock
            let perBlock = DelayingProxy.lossBlock * UpstreamFault.lossPercent / 100
            #expect(dropped >= wholeBlocks * perBlock && dropped <= (wholeBlocks + 1) * perBlock, "\(seen) seen, \(dropped) dropped")
            #expect(status.timeouts >= 1 && answered >= 5, "\(answered) answered, \(status)")
        }
    }
}
