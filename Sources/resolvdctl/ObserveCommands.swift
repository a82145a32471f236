import ArgumentParser
import NIOCore
import ResolverClient

#if canImport(Glibc)
import Glibc
#endif

struct Monitor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a line per finished lookup until interrupted (root or admin_group: every client; others: their own uid).")

    @ParentCommand var root: Resolvdctl

    func run() async throws {
        let client: ResolvdConnection
        do {
            client = try await ResolvdConnection.connect(socketPath: root.options.socketPath)
        } catch {
            Session.printError("cannot connect to \(root.options.socketPath): \(error)")
            throw ExitCode(2)
        }
        do {
            for try await event in client.monitor() {
                if root.options.json {
                    var buffer = ByteBuffer()
                    buffer.writeJSON(event)
                    print(String(buffer: buffer))
                } else {
                    print(ObserveFormatter.line(event, program: event.peer.flatMap { ObserveFormatter.programName(pid: $0.pid) }))
                }
                fflush(nil)  // every stream: a line per event even into a pipe
            }
        } catch {
            Session.printError("monitor ended: \(error)")
            await client.close()
            throw ExitCode(2)
        }
        await client.close()
    }
}

struct ShowCache: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show-cache",
        abstract: "List the daemon's cache entries, most recently used first (root or the configured admin group only).")

    @ParentCommand var root: Resolvdctl

    @Option(help: ArgumentHelp("List at most <n> entries (1…100000).", valueName: "n"))
    var limit: Int = Int(Request.defaultDumpCacheLimit)

    func run() async throws {
        try await Session(connection: root.options).run(.dumpCache(limit: limit), format: ObserveFormatter.cache)
    }
}
