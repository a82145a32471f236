import Logging

#if canImport(Glibc)
import Glibc
#endif

/// swift-log to stderr, one line per message. Under systemd (JOURNAL_STREAM set) each
/// line starts with its sd-daemon priority (`<3>` … `<7>`) so journald keeps the level,
/// and no timestamp (journald adds its own).
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let journalPriorities: Bool

    public init(label: String, journalPriorities: Bool) {
        self.label = label
        self.journalPriorities = journalPriorities
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let details = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = details.isEmpty ? "\(event.message)" : "\(event.message) \(details)"
        let line: String
        if journalPriorities {
            line = "<\(Self.priority(event.level))>\(event.level): \(text)\n"
        } else {
            line = "\(Self.timestamp()) \(event.level) \(label): \(text)\n"
        }
        var bytes = Array(line.utf8)
        _ = write(STDERR_FILENO, &bytes, bytes.count)  // one write per line: lines from threads never interleave
    }

    /// sd-daemon(3) priorities: 2 crit, 3 err, 4 warning, 5 notice, 6 info, 7 debug.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
