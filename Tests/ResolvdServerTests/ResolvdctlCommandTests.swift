import NIOCore
import ResolvdProtocol
import ResolverCore
import ResolverTesting
import Testing

/// Every lookup and control subcommand of the real `resolvdctl` against a real daemon (unbound
/// upstream with zone example.test, the test services and protocols files), in both outputs:
/// the readable lines `ResultFormatter` prints, and `--json`, the daemon's reply line as is.
/// A failure prints `SYMBOL (code): message` on stderr and exits 1. (`stats`, `show-cache`
/// and `monitor` are in ObserveCommandLineTests.)
@Suite struct ResolvdctlCommandTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        /// Lines the readable output must contain, exactly.
        var lines: [String]
        /// What the `--json` reply's result must hold (key: value as JSON text).
        var result: [String: String]

        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(
            arguments: ["getaddrinfo", "www.example.test", "--family", "inet", "--socktype", "stream", "--flag", "canonname"],
            lines: ["canonical name  www.example.test", "inet   192.0.2.10  port 0  stream/tcp  ttl 300"],
            result: ["canonical_name": #""www.example.test""#]),
        Case(
            arguments: ["getnameinfo", "192.0.2.10", "--port", "80"],
            lines: ["www.example.test  http"], result: ["host": #""www.example.test""#, "service": #""http""#]),
        Case(
            arguments: ["query", "MX", "mail.example.test"],
            lines: ["mail.example.test  300  MX  10 mx1.example.test", "mail.example.test  300  MX  20 mx2.example.test"],
            result: [:]),
        Case(
            arguments: ["hostbyname", "www.example.test"],
            lines: ["name     www.example.test", "family   inet", "address  192.0.2.10"],
            result: ["name": #""www.example.test""#, "family": #""inet""#, "addresses": #"["192.0.2.10"]"#]),
        Case(
            arguments: ["hostbyaddr", "192.0.2.20"],
            lines: ["name     v4only.example.test", "address  192.0.2.20"], result: ["name": #""v4only.example.test""#]),
        Case(
            arguments: ["servbyname", "http", "--proto", "tcp"],
            lines: ["http  80/tcp  www"], result: ["name": #""http""#, "port": "80", "proto": #""tcp""#, "aliases": #"["www"]"#]),
        Case(arguments: ["servbyport", "22"], lines: ["ssh  22/tcp"], result: ["name": #""ssh""#, "port": "22"]),
        Case(arguments: ["protobyname", "udp"], lines: ["udp  17  UDP"], result: ["name": #""udp""#, "number": "17", "aliases": #"["UDP"]"#]),
        Case(arguments: ["protobynumber", "41"], lines: ["ipv6  41  IPv6"], result: ["name": #""ipv6""#, "number": "41"]),
    ]

    static let resolvdctl = ObserveCommandLineTests.resolvdctl

    static func run(_ daemon: DaemonProcess, _ arguments: [String]) throws -> SystemdTestSupport.Output {
        try SystemdTestSupport.run([resolvdctl, "--socket", daemon.socketPath] + arguments)
    }

    /// The one reply line `--json` prints, parsed.
    static func jsonReply(_ output: SystemdTestSupport.Output) -> JSONObject? {
        let lines = output.stdout.split(separator: "\n")
        guard lines.count == 1, case .object(let object)? = try? JSONParser.parse(ByteBuffer(string: String(lines[0]))) else { return nil }
        return object
    }

    @Test(arguments: cases)
    func aLookupSubcommandPrintsItsAnswerReadableAndAsJSON(_ item: Case) throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }

        let readable = try Self.run(daemon, item.arguments)
        #expect(readable.status == 0, "\(readable.stderr)")
        let lines = readable.stdout.split(separator: "\n").map(String.init)
        for line in item.lines { #expect(lines.contains(line), "\(item.testDescription): \(readable.stdout)") }

        let json = try Self.run(daemon, ["--json"] + item.arguments)
        #expect(json.status == 0, "\(json.stderr)")
        let reply = try #require(Self.jsonReply(json), "not one JSON line: \(json.stdout)")
        #expect(reply["status"] == .integer(Int64(ResultCode.noError.rawValue)) && reply["id"]?.intValue != nil, "\(reply)")
        let result = try #require(reply["result"]?.objectValue, "\(reply)")
        for (key, text) in item.result {
            #expect(result[key] == (try JSONParser.parse(ByteBuffer(string: text))), "\(item.testDescription): \(key) in \(result)")
        }
        if item.arguments.first == "query" {
            // In the upstream's order, which unbound rotates.
            let exchanges = result["records"]?.arrayValue?.compactMap { $0.objectValue?["exchange"]?.stringValue }.sorted()
            #expect(exchanges == ["mx1.example.test", "mx2.example.test"], "\(result)")
        }
    }

    @Test func helloFlushCachesAndCancelAll() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }

        let hello = try Self.run(daemon, ["hello"])
        #expect(hello.status == 0, "\(hello.stderr)")
        let helloLines = hello.stdout.split(separator: "\n").map(String.init)
        #expect(helloLines.first?.hasPrefix("resolvd ") == true && helloLines.first?.hasSuffix("  protocol 1") == true, "\(hello.stdout)")
        #expect(helloLines.contains { $0.hasPrefix("ops  ") && $0.contains(" getaddrinfo ") && $0.hasSuffix(" dump_cache link revert_link routes") }, "\(hello.stdout)")
        let helloJSON = try #require(Self.jsonReply(try Self.run(daemon, ["hello", "--json"])))
        #expect(helloJSON["result"]?.objectValue?["server"] == .string("resolvd"))

        // Two answers cached, then flushed: the count is the daemon's own.
        #expect(try Self.run(daemon, ["query", "A", "www.example.test"]).status == 0)
        #expect(try Self.run(daemon, ["query", "A", "v4only.example.test"]).status == 0)
        let flushed = try Self.run(daemon, ["flush-caches"])
        #expect(flushed.status == 0 && flushed.stdout == "flushed 2 cache entries\n", "\(flushed.stdout) \(flushed.stderr)")
        let flushedJSON = try #require(Self.jsonReply(try Self.run(daemon, ["--json", "flush-caches"])))
        #expect(flushedJSON["result"]?.objectValue?["flushed"] == .integer(0))

        // cancel_all on resolvdctl's own connection: nothing in flight, ERROR_NOT_FOUND, exit 1.
        let cancelAll = try Self.run(daemon, ["cancel-all"])
        let notFound = ResultCode.notFound
        #expect(cancelAll.status == 1 && cancelAll.stdout.isEmpty, "\(cancelAll.stdout)")
        #expect(cancelAll.stderr.hasPrefix("resolvdctl: \(notFound.symbol) (\(notFound.rawValue))"), "\(cancelAll.stderr)")
        let cancelJSON = try Self.run(daemon, ["cancel-all", "--json"])
        #expect(cancelJSON.status == 1)
        #expect(Self.jsonReply(cancelJSON)?["status"] == .integer(Int64(notFound.rawValue)), "\(cancelJSON.stdout)")
    }

    @Test func aFailedLookupExitsOneWithItsSymbolOnStderr() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress)
        defer { daemon.stop() }
        let missing = try Self.run(daemon, ["query", "A", "nothing-here.example.test"])
        let code = ResultCode.hostNotFound
        #expect(missing.status == 1 && missing.stdout.isEmpty, "\(missing.stdout)")
        #expect(missing.stderr.hasPrefix("resolvdctl: \(code.symbol) (\(code.rawValue))"), "\(missing.stderr)")
        let json = try Self.run(daemon, ["--json", "query", "A", "nothing-here.example.test"])
        #expect(json.status == 1 && Self.jsonReply(json)?["status"] == .integer(Int64(code.rawValue)), "\(json.stdout)")

        let unreachable = try SystemdTestSupport.run([Self.resolvdctl, "--socket", daemon.socketPath + ".absent", "hello"])
        #expect(unreachable.status == 2, "\(unreachable.stdout) \(unreachable.stderr)")
    }
}
