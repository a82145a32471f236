import ResolverCore

/// One row of the fault matrix (docs/reliability.md, "Fault matrix"): an upstream fault played
/// by a loopback fixture, the names to ask it, and the outcome docs/error-codes.md documents
/// for a `getaddrinfo` lookup through it. The in-process matrix (`FaultMatrixTests`) and the
/// one through the daemon (`DaemonFaultMatrixTests`) start their upstreams here.
///
/// It does not judge the upstream's `stats` counters: each suite knows what it can see.
public enum UpstreamFault: String, CaseIterable, Sendable, CustomStringConvertible {
    case silent, serverFailure, refused, malformedAnswer, truncatedThenTCP
    case tcpHangs, tcpCloses, tcpResets, udpLoss, wrongID, compressionLoop

    /// What every lookup through the fault must end with.
    public enum Outcome: Sendable, Equatable {
        /// The answer: `addresses` IPv4 addresses.
        case answer(addresses: Int)
        /// This result code.
        case code(ResultCode)
        /// Either, lookup by lookup (loss: whether a lookup's datagrams got through).
        case answerOrCode(addresses: Int, ResultCode)
    }

    /// A started fault: its address (`host:port`), the outcome, and what stops it.
    public struct Running: Sendable {
        public let address: String
        public let outcome: Outcome
        /// The scripted fixture, when the fault is one (its query and connection counts).
        public let scripted: ScriptedUpstream?
        /// The lossy proxy of ``UpstreamFault/udpLoss`` (its datagram counts).
        public let proxy: DelayingProxy?
        public let stop: @Sendable () -> Void
    }

    /// The share of datagrams ``udpLoss`` drops, and the seed of its pattern.
    public static let lossPercent = 30
    public static let lossSeed: UInt64 = 0x5EED_0030

    public var description: String { rawValue }

    /// The name lookup `index` asks: a distinct wildcard name (no coalescing, no cache),
    /// except for the truncated answer, which only `big.example.test` gives.
    public func name(_ index: Int) -> String {
        self == .truncatedThenTCP ? "big.example.test" : "n\(index).wild.example.test"
    }

    /// Starts the fixture. `unbound` serves the test zones for the faults that need a real
    /// server behind them (truncated → TCP, loss); it is not stopped by `stop`.
    public func start(unbound: UnboundServer) throws -> Running {
        func scripted(_ script: ScriptedUpstream.Script, _ outcome: Outcome) throws -> Running {
            let upstream = try ScriptedUpstream.start(script: script)
            return Running(address: upstream.serverAddress, outcome: outcome, scripted: upstream, proxy: nil, stop: upstream.stop)
        }
        switch self {
        case .silent:
            let silent = try SilentUpstream.start()
            return Running(address: silent.serverAddress, outcome: .code(.tryAgain), scripted: nil, proxy: nil, stop: silent.stop)  // ARES_ETIMEOUT
        case .serverFailure, .refused:
            let failing = try FailingUpstream.start(failure: self == .refused ? .refused : .serverFailure)
            // ARES_EREFUSED is permanent, ARES_ESERVFAIL temporary.
            return Running(address: failing.serverAddress, outcome: .code(self == .refused ? .noRecovery : .tryAgain),
                           scripted: nil, proxy: nil, stop: failing.stop)
        case .malformedAnswer: return try scripted(.truncatedAnswerRecord, .code(.tryAgain))  // ARES_EBADRESP
        case .truncatedThenTCP:
            return Running(address: unbound.serverAddress, outcome: .answer(addresses: Zone.bigRecordCount), scripted: nil, proxy: nil, stop: {})
        case .tcpHangs: return try scripted(.truncatedThenTCPHangs, .code(.tryAgain))        // ARES_ETIMEOUT
        case .tcpCloses: return try scripted(.truncatedThenTCPCloses, .code(.tryAgain))      // ARES_ECONNREFUSED / EOF
        case .tcpResets: return try scripted(.truncatedThenTCPResets, .code(.tryAgain))      // ARES_ECONNREFUSED / EOF
        case .wrongID: return try scripted(.wrongID, .code(.tryAgain))                       // dropped by id: ARES_ETIMEOUT
        case .compressionLoop: return try scripted(.compressionLoop, .code(.tryAgain))       // ARES_EBADRESP
        case .udpLoss:
            let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero,
                                                dropPercent: Self.lossPercent, seed: Self.lossSeed)
            return Running(address: proxy.serverAddress, outcome: .answerOrCode(addresses: 1, .tryAgain), scripted: nil, proxy: proxy, stop: proxy.stop)
        }
    }
}
