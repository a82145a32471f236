import ArgumentParser
import ResolverClient

struct Hello: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's version and ops.")

    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options).run(.hello, format: ResultFormatter.hello)
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's counters.")

    @ParentCommand var root: Resolvdctl

    @Flag(help: "Print the Prometheus text exposition format (for node_exporter's textfile collector).")
    var prometheus = false

    func run() async throws {
        let format = prometheus ? ObserveFormatter.prometheus : ObserveFormatter.stats
        try await Session(connection: root.options).run(.stats, format: format)
    }
}

struct FlushCaches: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flush-caches",
        abstract: "Empty the daemon's answer cache (root or the configured admin group only).")

    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options).run(.flushCache, format: ResultFormatter.flushCache)
    }
}

struct CancelAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel-all",
        abstract: "Send cancel_all (it cancels only this connection's lookups, so it normally reports ERROR_NOT_FOUND)."
    )

    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options).run(.cancelAll, format: ResultFormatter.cancelAll)
    }
}
