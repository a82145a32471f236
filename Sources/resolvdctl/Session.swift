import ArgumentParser
import NIOCore
import ResolverClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one subcommand's request: connects, sends, prints, and picks the exit status.
///
/// Printing the result is the caller's `format` closure; `Session` only handles the
/// connection, `--json`, `--cancel-after` and failures.
struct Session {
    var connection: ConnectionOptions
    var cancel: CancelOptions?

    /// Sends a lookup and prints its reply (or, with `--cancel-after`, the reply and the
    /// cancel's), its result as ``ResultFormatter/lines(_:)`` renders it.
    func run(_ command: Request.Command) async throws {
        try await run(command) { LookupValue(json: $0, operation: command.operation).map(ResultFormatter.lines) }
    }

    /// Sends `command` and prints its reply (or, with `--cancel-after`, the reply and the cancel's).
    func run(_ command: Request.Command, format: (JSONValue) -> [String]?) async throws {
        let client: ResolvdConnection
        do {
            client = try await ResolvdConnection.connect(socketPath: connection.socketPath)
        } catch {
            Self.printError("cannot connect to \(connection.socketPath): \(error)")
            throw ExitCode(2)
        }
        do {
            if let cancel, let delay = cancel.cancelAfterMilliseconds {
                try await runCancelling(client, command, after: delay, with: cancel.cancelOp, format: format)
            } else {
                try await runOnce(client, command, format: format)
            }
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }

    private func runOnce(
        _ client: ResolvdConnection,
        _ command: Request.Command,
        format: (JSONValue) -> [String]?
    ) async throws {
        let reply: Reply
        do {
            reply = try await client.request(command)
        } catch {
            Self.printError("\(error)")
            throw ExitCode(2)
        }
        if connection.json {
            print(reply.line)
        }
        guard reply.isSuccess else {
            Self.printError(Self.failureText(reply))
            throw ExitCode(1)
        }
        if !connection.json {
            printLines(Self.successLines(reply, format: format))
        }
    }

    private func runCancelling(
        _ client: ResolvdConnection,
        _ command: Request.Command,
        after milliseconds: Int,
        with cancelOp: CancelOptions.CancelOp,
        format: (JSONValue) -> [String]?
    ) async throws {
        let (replies, continuation) = AsyncStream.makeStream(of: (PendingRequest, Result<Reply, Error>).self)
        // Futures complete on the connection's event loop in the order replies are read,
        // so yielding from their callbacks keeps arrival order.
        func watch(_ request: PendingRequest) {
            request.futureResult.whenComplete { continuation.yield((request, $0)) }
        }
        let lookup = client.send(command)
        watch(lookup)
        try await Task.sleep(for: .milliseconds(milliseconds))
        let cancel = client.send(cancelOp.command(handle: lookup.id))
        watch(cancel)

        var received = 0
        for await (request, result) in replies {
            switch result {
            case .success(let reply) where connection.json:
                print(reply.line)
            case .success(let reply):
                printLines(["id \(request.id) \(request.op): \(reply.symbol) (\(reply.status.rawValue))" + Self.messageSuffix(reply)])
                if reply.isSuccess, request.id == lookup.id {
                    printLines(Self.successLines(reply, format: format))
                }
            case .failure(let error):
                Self.printError("id \(request.id) \(request.op): \(error)")
                throw ExitCode(2)
            }
            received += 1
            if received == 2 { break }
        }
        continuation.finish()
    }

    /// The formatted result, or its JSON (keys sorted) if `format` cannot read it.
    private static func successLines(_ reply: Reply, format: (JSONValue) -> [String]?) -> [String] {
        guard let result = reply.result else { return [] }
        return format(result) ?? [result.withSortedKeys().jsonText]
    }

    /// `WSAHOST_NOT_FOUND (11001): message`, plus the required length for WSAENOBUFS.
    static func failureText(_ reply: Reply) -> String {
        "\(reply.symbol) (\(reply.status.rawValue))" + messageSuffix(reply)
    }

    private static func messageSuffix(_ reply: Reply) -> String {
        var suffix = ""
        if let message = reply.message, !message.isEmpty { suffix += ": \(message)" }
        if let required = reply.required { suffix += " (required \(required) bytes)" }
        return suffix
    }

    static func printError(_ text: String) {
        var standardError = StandardError()
        print("resolvdctl: \(TerminalText.escaped(text))", to: &standardError)
    }
}

/// Prints human output, each line escaped (``TerminalText``): whatever a client or an
/// upstream put in a name, it reaches the terminal as text, never as control sequences.
func printLines(_ lines: [String]) {
    guard !lines.isEmpty else { return }
    print(renderedLines(lines))
}

/// What ``printLines(_:)`` prints (without the last line feed): the lines escaped, one per line.
func renderedLines(_ lines: [String]) -> String {
    lines.map(TerminalText.escaped).joined(separator: "\n")
}

/// Standard error as a `TextOutputStream`, written unbuffered with write(2).
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        writeToStandardError(string)
    }
}

private func writeToStandardError(_ string: String) {
    var string = string
    string.withUTF8 { bytes in
        var remaining = UnsafeRawBufferPointer(bytes)
        while !remaining.isEmpty {
            let written = write(STDERR_FILENO, remaining.baseAddress, remaining.count)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            remaining = UnsafeRawBufferPointer(rebasing: remaining[written...])
        }
    }
}
