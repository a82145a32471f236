import ResolverTesting
import Testing

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// The upstream faults the fixtures can play (docs/reliability.md, "When upstreams fail"),
/// each against 20 concurrent lookups through the upstream tracking: every lookup completes
/// exactly once, with the code docs/error-codes.md documents for that fault, within the
/// lookup's time bound (c-ares' tries: T, then 2T, with one upstream). Not played here yet:
/// a TCP upstream that hangs, 30 % UDP loss, wrong-id and compression-loop answers.
@Suite(.serialized) struct FaultMatrixTests {
    enum Fault: String, CaseIterable, Sendable {
        case silent, serverFailure, refused, malformedAnswer, truncatedThenTCP
    }

    static let timeout = Duration.milliseconds(150)

    /// Starts the fixture for `fault`; returns its address, the code every lookup must get
    /// (nil: success), and what stops it.
    static func upstream(for fault: Fault) throws -> (address: String, expected: ResultCode?, stop: () -> Void) {
        switch fault {
        case .silent:
            let silent = try SilentUpstream.start()
            return (silent.serverAddress, .tryAgain, silent.stop)  // ARES_ETIMEOUT
        case .serverFailure:
            let failing = try FailingUpstream.start(failure: .serverFailure)
            return (failing.serverAddress, .tryAgain, failing.stop)  // ARES_ESERVFAIL
        case .refused:
            let failing = try FailingUpstream.start(failure: .refused)
            return (failing.serverAddress, .noRecovery, failing.stop)  // ARES_EREFUSED
        case .malformedAnswer:
            let scripted = try ScriptedUpstream.start(script: .truncatedAnswerRecord)
            return (scripted.serverAddress, .tryAgain, scripted.stop)  // ARES_EBADRESP
        case .truncatedThenTCP:
            let unbound = try Fixtures.unbound()
            return (unbound.serverAddress, nil, {})
        }
    }

    @Test(arguments: Fault.allCases)
    func everyLookupCompletesOnceWithTheDocumentedCode(fault: Fault) throws {
        let (address, expected, stop) = try Self.upstream(for: fault)
        defer { stop() }
        var configuration = try Fixtures.configuration(upstream: address, timeoutPerTry: Self.timeout, tries: 2)
        configuration.upstreamProbeInterval = .milliseconds(50)
        let resolver = try Resolver(configuration: configuration)
        defer { resolver.shutdown() }
        let logs = (0..<20).map { _ in CompletionLog<AddressInfo>() }
        let started = MonotonicClock.now()
        for (index, log) in logs.enumerated() {
            var request = AddressInfoRequest(name: fault == .truncatedThenTCP ? "big.example.test" : "n\(index).wild.example.test")
            request.family = .inet
            request.socketType = .stream
            resolver.addressInfo(request, completion: log.handler)
        }
        // One upstream, two tries: 150 ms, then 300 ms; the rest is margin for a loaded machine.
        let bound = Duration.milliseconds(150 + 300 + 700)
        for log in logs { #expect(log.wait(count: 1, timeout: bound)) }
        let elapsed = Duration.nanoseconds(Int64(MonotonicClock.now() - started))
        #expect(elapsed <= bound, "\(fault): answered after \(elapsed)")
        usleep(100_000)  // a second completion would have come by now
        for log in logs {
            #expect(log.count == 1, "\(fault): \(log.count) completions")
            if let expected {
                #expect(log.errorCode == expected, "\(fault): \(String(describing: log.results.first))")
            } else {
                #expect(log.value?.addresses.count == Zone.bigRecordCount, "\(fault): \(String(describing: log.results.first))")
            }
        }
        let status = resolver.upstreamStatuses[0]
        switch fault {
        case .silent: #expect(status.timeouts >= 20 && status.answers == 0)
        case .serverFailure: #expect(status.serverFailures >= 20)
        case .refused: #expect(status.refused >= 20)
        case .malformedAnswer: #expect(status.answers >= 20 && status.timeouts == 0)
        case .truncatedThenTCP: #expect(status.truncated >= 1 && status.timeouts == 0)
        }
    }
}
