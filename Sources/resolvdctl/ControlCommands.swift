import ArgumentParser
import ResolverClient

struct Hello: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's version and ops.")

    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options).run(op: "hello", params: [:], format: ResultFormatter.hello)
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's counters.")

    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options).run(op: "stats", params: [:], format: ResultFormatter.stats)
    }
}

struct CancelAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel-all",
        abstract: "Send cancel_all (it cancels only this connection's lookups, so it normally reports ERROR_NOT_FOUND)."
    )

    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options).run(op: "cancel_all", params: [:], format: ResultFormatter.cancelAll)
    }
}
