import Dispatch
import ResolverCore
import Synchronization

/// Workload A: ResolverCore in-process. `names.count` getaddrinfo lookups (family unspec,
/// socket type stream), exactly `inFlight` outstanding: each completion (on a resolver
/// thread) starts the next lookup.
struct CoreWorkload {
    var configuration: ResolverConfiguration

    func run(names: [String], inFlight: Int) throws -> RunResult {
        let resolver = try Resolver(configuration: configuration)
        defer { resolver.shutdown() }
        let state = CoreRunState(names: names, resolver: resolver)
        let dropsBefore = udpReceiveBufferErrors()
        let cpuBefore = processCPUNanoseconds()
        let begin = monotonicNanoseconds()
        for _ in 0..<min(inFlight, names.count) { state.startNext() }
        state.done.wait()
        let wall = monotonicNanoseconds() - begin
        let cpu = processCPUNanoseconds() - cpuBefore
        let drops = udpReceiveBufferErrors() - dropsBefore
        let latencies = state.recorder.sortedLatencies()
        let retryThreshold = UInt64(configuration.timeoutPerTry.components.seconds) * 500_000_000
            + UInt64(configuration.timeoutPerTry.components.attoseconds / 2_000_000_000)
        return RunResult(
            workload: "ResolverCore", names: names.count, wallNanoseconds: wall, cpuNanoseconds: cpu,
            failures: state.failures.load(ordering: .relaxed), wrongAnswers: state.wrongAnswers.load(ordering: .relaxed),
            retried: latencies.count(where: { $0 >= retryThreshold }), udpDrops: drops, latencies: latencies,
            firstFailure: state.firstFailure.withLock { $0 })
    }
}

/// Shared by the starting thread and the resolver's threads during one run.
private final class CoreRunState: Sendable {
    let names: [String]
    let resolver: Resolver
    let recorder: LatencyRecorder
    let next = Atomic<Int>(0)
    let completed = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let wrongAnswers = Atomic<Int>(0)
    let firstFailure = Mutex<String?>(nil)
    let done = DispatchSemaphore(value: 0)

    init(names: [String], resolver: Resolver) {
        self.names = names
        self.resolver = resolver
        self.recorder = LatencyRecorder(count: names.count)
    }

    /// Starts the next lookup, if any are left. Any thread.
    func startNext() {
        let index = next.add(1, ordering: .relaxed).oldValue
        guard index < names.count else { return }
        let request = AddressInfoRequest(name: names[index], family: .unspecified, socketType: .stream)
        recorder.started[index] = monotonicNanoseconds()
        resolver.addressInfo(request) { [self] result in
            recorder.finished[index] = monotonicNanoseconds()
            switch result {
            case .success(let info):
                if info.addresses.count != 2 { wrongAnswers.add(1, ordering: .relaxed) }
            case .failure(let error):
                if failures.add(1, ordering: .relaxed).oldValue == 0 {
                    firstFailure.withLock { $0 = "\(names[index]): \(error.code.symbol) \(error.message)" }
                }
            }
            startNext()
            if completed.add(1, ordering: .acquiringAndReleasing).newValue == names.count { done.signal() }
        }
    }
}
