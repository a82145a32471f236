import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import ResolvdServer

/// ``RefusalLog``: the first refusal of a quiet interval at once, the rest as one line
/// with their count when the interval ends.
@Suite struct RefusalLogTests {
    /// Keeps every message logged through it.
    struct CapturingHandler: LogHandler {
        let lines: NIOLockedValueBox<[(message: String, metadata: Logger.Metadata)]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            lines.withLockedValue { $0.append(("\(event.message)", event.metadata ?? [:])) }
        }
    }

    @Test func aBurstOfRefusalsIsTwoLinesWithItsCount() async throws {
        let lines = NIOLockedValueBox<[(message: String, metadata: Logger.Metadata)]>([])
        let logger = Logger(label: "test") { _ in CapturingHandler(lines: lines) }
        let log = RefusalLog(logger: logger, interval: .milliseconds(200))
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        for index in 0..<1_000 { log.refused("reason \(index)", on: eventLoop) }
        #expect(lines.withLockedValue { $0.count } == 1, "the first refusal is logged at once, the rest wait")
        try await Task.sleep(for: .milliseconds(600))
        let logged = lines.withLockedValue { $0 }
        #expect(logged.count == 2, "\(logged.map(\.message))")
        #expect(logged.first?.metadata["reason"] == "reason 0")
        #expect(logged.last?.message == "connections refused")
        #expect(logged.last?.metadata["count"] == "999" && logged.last?.metadata["last_reason"] == "reason 999", "\(logged.last?.metadata ?? [:])")
    }
}
