import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// docs/error-codes.md row by row, through a real resolvd's socket: each test asks what
/// the row says produces its code and checks `status`, `error` and the rest of the reply.
/// Where a row has a neighbour that must *not* give the code (a 253-character name, a
/// 63-character label, buflen exactly `required`), that is checked too, so an over-eager
/// check fails as surely as a missing one. The doc's "Where each code is tested" section
/// lists which test proves which code, including the rows proved in other files.
@Suite struct ResultCodeContractTests {
    // MARK: - 0, 10022: success and bad input

    @Test func successIsNoErrorWithAResultAndNoError() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        let reply = try #require(client.ask(#""op":"getaddrinfo","name":"www.example.test","family":"inet","socktype":"stream""#))
        #expect(reply.status == 0)
        #expect(reply["error"] == nil && reply["message"] == nil)
        #expect(reply.result?["addresses"]?.arrayValue?.first?.objectValue?["address"]?.stringValue == "192.0.2.10")
    }

    @Test func badNamesAreInvalidArgumentForEveryNameOp() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        let longLabel = String(repeating: "a", count: 64)
        let badNames: [(String, String)] = [
            ("", "empty"),
            (".", "only the root dot"),
            (Self.name(length: 254), "254 characters"),
            ("\(longLabel).example.test", "a 64-character label"),
            ("www..example.test", "an empty label"),
            (".example.test", "a leading empty label"),
            (#"www\u0001.example.test"#, "a control character"),
            (#"www\u007f.example.test"#, "DEL"),
        ]
        for op in [#""op":"getaddrinfo""#, #""op":"gethostbyname""#, #""op":"query","type":"A""#] {
            for (name, what) in badNames {
                expectFailure(client.ask(#"\#(op),"name":"\#(name)""#), 10022, "WSAEINVAL", "\(op) with \(what)")
            }
            // The limits themselves are legal: the name reaches DNS and is not there.
            for name in [Self.name(length: 253), String(repeating: "b", count: 63) + ".example.test"] {
                expectFailure(client.ask(#"\#(op),"name":"\#(name)""#), 11001, "WSAHOST_NOT_FOUND", "\(op) with \(name.utf8.count) characters")
            }
        }
    }

    @Test func aNameWhereAnAddressIsNeededIsInvalidArgument() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        for address in ["www.example.test", "192.0.2.300", "192.0.2", "2001:db8::1::2", ""] {
            expectFailure(client.ask(#""op":"gethostbyaddr","address":"\#(address)""#), 10022, "WSAEINVAL", "gethostbyaddr \(address)")
            expectFailure(client.ask(#""op":"getnameinfo","address":"\#(address)""#), 10022, "WSAEINVAL", "getnameinfo \(address)")
        }
    }

    /// There is no way to ask for a family the daemon does not know: the protocol only
    /// names unspec, inet and inet6, and anything else is a mistyped parameter (10022),
    /// never WSAEAFNOSUPPORT (10047). See docs/error-codes.md.
    @Test func anUnknownFamilyIsInvalidArgumentNotAddressFamilyNotSupported() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        for family in ["appletalk", "AF_INET", "ipx"] {
            expectFailure(client.ask(#""op":"getaddrinfo","name":"www.example.test","family":"\#(family)""#), 10022, "WSAEINVAL", family)
            expectFailure(client.ask(#""op":"gethostbyname","name":"www.example.test","family":"\#(family)""#), 10022, "WSAEINVAL", family)
        }
    }

    /// `reload` of a file that does not load: 10022 with the file's problem, and the running
    /// configuration answers on. (A reload by a non-admin, 10013, is SystemdPeerCredentialsTests.)
    @Test func reloadOfABrokenConfigurationIsInvalidArgument() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        try daemon.rewriteConfig("no_such_key = 1\n")
        let broken = try #require(client.ask(#""op":"reload""#))
        expectFailure(broken, 10022, "WSAEINVAL", "reload of a broken file")
        #expect(broken["message"]?.stringValue?.contains("no_such_key") == true, "\(broken)")
        #expect(client.ask(#""op":"query","name":"www.example.test","type":"A""#)?.status == 0)
        try daemon.rewriteConfig("")
        #expect(client.ask(#""op":"reload""#)?.status == 0, "a good file reloads")
    }

    // MARK: - 10044, 10109, 11004: hints, services, protocols, missing records

    @Test func socketTypeAndProtocolThatDoNotGoTogetherAreSocketTypeNotSupported() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        for (socktype, proto) in [("stream", "udp"), ("dgram", "tcp")] {
            let hints = #""socktype":"\#(socktype)","protocol":"\#(proto)""#
            expectFailure(client.ask(#""op":"getaddrinfo","name":"www.example.test",\#(hints)"#), 10044, "WSAESOCKTNOSUPPORT", hints)
            // Before the name is even looked at: a literal gets the same answer.
            expectFailure(client.ask(#""op":"getaddrinfo","name":"192.0.2.1",\#(hints)"#), 10044, "WSAESOCKTNOSUPPORT", "literal, \(hints)")
        }
        #expect(client.ask(#""op":"getaddrinfo","name":"www.example.test","socktype":"stream","protocol":"tcp""#)?.status == 0)
    }

    @Test func aServiceUnknownForTheSocketTypeIsTypeNotFound() throws {
        let databases = try TestDatabases()
        defer { databases.remove() }
        let (daemon, client) = try unboundDaemon(config: databases.config)
        defer { daemon.stop() }
        let cases = [
            (#""service":"no-such-service""#, "a service in no database"),
            (#""service":"udponly","socktype":"stream""#, "a UDP-only service with stream"),
            (#""service":"udponly","protocol":"tcp""#, "a UDP-only service with tcp"),
            (#""service":"contract","socktype":"raw""#, "a service with raw sockets"),
            (#""service":"4242","socktype":"raw""#, "a port with raw sockets"),
        ]
        for (hints, what) in cases {
            expectFailure(client.ask(#""op":"getaddrinfo","name":"www.example.test",\#(hints)"#), 10109, "WSATYPE_NOT_FOUND", what)
        }
        let udp = try #require(client.ask(#""op":"getaddrinfo","name":"192.0.2.1","service":"udponly""#))
        #expect(udp.status == 0 && udp.result?["addresses"]?.arrayValue?.first?.objectValue?["port"]?.intValue == 4243, "\(udp)")
    }

    @Test func anExistingNameWithoutTheRecordAskedIsNoData() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        expectFailure(client.ask(#""op":"query","name":"www.example.test","type":"MX""#), 11004, "WSANO_DATA", "MX of www")
        expectFailure(client.ask(#""op":"getaddrinfo","name":"v4only.example.test","family":"inet6""#), 11004, "WSANO_DATA", "AAAA of v4only")
        expectFailure(client.ask(#""op":"getaddrinfo","name":"v6only.example.test","family":"inet""#), 11004, "WSANO_DATA", "A of v6only")
        expectFailure(client.ask(#""op":"gethostbyname","name":"v6only.example.test""#), 11004, "WSANO_DATA", "hostent of v6only")
        // The same names with the family they have are found.
        #expect(client.ask(#""op":"getaddrinfo","name":"v4only.example.test","family":"inet""#)?.status == 0)
        #expect(client.ask(#""op":"gethostbyname","name":"v6only.example.test","family":"inet6""#)?.status == 0)
    }

    @Test func aServiceOrProtocolNotInItsDatabaseIsNoData() throws {
        let databases = try TestDatabases()
        defer { databases.remove() }
        let (daemon, client) = try unboundDaemon(config: databases.config)
        defer { daemon.stop() }
        expectFailure(client.ask(#""op":"getservbyname","name":"no-such-service""#), 11004, "WSANO_DATA", "unknown service")
        expectFailure(client.ask(#""op":"getservbyname","name":"udponly","proto":"tcp""#), 11004, "WSANO_DATA", "udponly/tcp")
        expectFailure(client.ask(#""op":"getservbyport","port":4244"#), 11004, "WSANO_DATA", "unused port")
        expectFailure(client.ask(#""op":"getprotobyname","name":"no-such-protocol""#), 11004, "WSANO_DATA", "unknown protocol")
        expectFailure(client.ask(#""op":"getprotobynumber","number":201"#), 11004, "WSANO_DATA", "unused protocol number")
        #expect(client.ask(#""op":"getservbyname","name":"udponly","proto":"udp""#)?.result?["port"]?.intValue == 4243)
        #expect(client.ask(#""op":"getprotobynumber","number":200"#)?.result?["name"]?.stringValue == "contractproto")
    }

    // MARK: - 11001: the name is not there

    @Test func nxdomainIsHostNotFoundForEveryNameOp() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        for op in [#""op":"getaddrinfo""#, #""op":"gethostbyname""#, #""op":"query","type":"A""#, #""op":"query","type":"TXT""#] {
            expectFailure(client.ask(#"\#(op),"name":"nxdomain.example.test""#), 11001, "WSAHOST_NOT_FOUND", op)
        }
    }

    @Test func numericFlagsWithWordsAreHostNotFound() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        expectFailure(client.ask(#""op":"getaddrinfo","name":"www.example.test","flags":["numerichost"]"#), 11001, "WSAHOST_NOT_FOUND", "numerichost, a name")
        expectFailure(client.ask(#""op":"getaddrinfo","name":"192.0.2.10","service":"http","flags":["numericserv"]"#), 11001, "WSAHOST_NOT_FOUND", "numericserv, a word")
        #expect(client.ask(#""op":"getaddrinfo","name":"192.0.2.10","service":"80","flags":["numerichost","numericserv"]"#)?.status == 0)
    }

    @Test func anIPLiteralOfTheOtherFamilyIsHostNotFound() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        expectFailure(client.ask(#""op":"getaddrinfo","name":"::1","family":"inet""#), 11001, "WSAHOST_NOT_FOUND", "::1 as inet")
        expectFailure(client.ask(#""op":"getaddrinfo","name":"127.0.0.1","family":"inet6""#), 11001, "WSAHOST_NOT_FOUND", "127.0.0.1 as inet6")
        expectFailure(client.ask(#""op":"gethostbyname","name":"::1""#), 11001, "WSAHOST_NOT_FOUND", "gethostbyname ::1 (inet by default)")
        // v4mapped makes an IPv4 literal an IPv6 answer.
        let mapped = try #require(client.ask(#""op":"getaddrinfo","name":"127.0.0.1","family":"inet6","flags":["v4mapped"]"#))
        #expect(mapped.result?["addresses"]?.arrayValue?.first?.objectValue?["address"]?.stringValue == "::ffff:127.0.0.1", "\(mapped)")
    }

    @Test func anAddressWithoutPTRIsHostNotFoundWhenANameIsRequired() throws {
        let (daemon, client) = try unboundDaemon()
        defer { daemon.stop() }
        expectFailure(client.ask(#""op":"gethostbyaddr","address":"192.0.2.1""#), 11001, "WSAHOST_NOT_FOUND", "gethostbyaddr")
        expectFailure(client.ask(#""op":"getnameinfo","address":"192.0.2.1","flags":["namereqd"]"#), 11001, "WSAHOST_NOT_FOUND", "getnameinfo namereqd")
        // Without namereqd the address comes back as text, as glibc does.
        let numeric = try #require(client.ask(#""op":"getnameinfo","address":"192.0.2.1""#))
        #expect(numeric.status == 0 && numeric.result?["host"]?.stringValue == "192.0.2.1", "\(numeric)")
    }

    // MARK: - 11002, 11003: the upstream failed

    /// One upstream answering FORMERR, NOTIMP or REFUSED: a permanent failure, let through.
    @Test(arguments: [FailingUpstream.Failure.formatError, .notImplemented, .refused])
    func aSingleUpstreamsPermanentRcodeIsNoRecovery(failure: FailingUpstream.Failure) throws {
        let upstream = try FailingUpstream.start(failure: failure)
        defer { upstream.stop() }
        let (daemon, client) = try failingDaemon(upstreams: [upstream.serverAddress])
        defer { daemon.stop() }
        for request in Self.forwardLookups {
            expectFailure(client.ask(request), 11003, "WSANO_RECOVERY", "\(failure): \(request)")
        }
        #expect(upstream.queriesReceived >= Self.forwardLookups.count, "every lookup reached the upstream")
    }

    @Test func aSingleUpstreamsServfailIsTryAgain() throws {
        let upstream = try FailingUpstream.start(failure: .serverFailure)
        defer { upstream.stop() }
        let (daemon, client) = try failingDaemon(upstreams: [upstream.serverAddress])
        defer { daemon.stop() }
        for request in Self.forwardLookups {
            expectFailure(client.ask(request), 11002, "WSATRY_AGAIN", request)
        }
    }

    /// Several upstreams that all refuse (or all SERVFAIL): c-ares tries each, then reports
    /// ARES_ECONNREFUSED — a temporary failure, unlike one upstream's REFUSED.
    @Test(arguments: [FailingUpstream.Failure.refused, .serverFailure])
    func everyUpstreamRefusingIsTryAgain(failure: FailingUpstream.Failure) throws {
        let first = try FailingUpstream.start(failure: failure)
        let second = try FailingUpstream.start(failure: failure)
        defer { first.stop(); second.stop() }
        let (daemon, client) = try failingDaemon(upstreams: [first.serverAddress, second.serverAddress])
        defer { daemon.stop() }
        for request in Self.forwardLookups {
            expectFailure(client.ask(request), 11002, "WSATRY_AGAIN", "\(failure): \(request)")
        }
        #expect(first.queriesReceived >= 1 && second.queriesReceived >= 1, "both upstreams were asked")
    }

    /// The reason several upstreams are not let through: the next one may answer.
    @Test func aRefusingUpstreamBeforeAGoodOneIsNotAnError() throws {
        let refusing = try FailingUpstream.start(failure: .refused)
        defer { refusing.stop() }
        let unbound = try DaemonOperationTests.unbound.get()
        let (daemon, client) = try failingDaemon(upstreams: [refusing.serverAddress, unbound.serverAddress])
        defer { daemon.stop() }
        #expect(client.ask(#""op":"query","name":"www.example.test","type":"A""#)?.status == 0)
        #expect(refusing.queriesReceived >= 1, "the refusing upstream was asked first")
    }

    /// An upstream port nobody listens on (ICMP port unreachable): c-ares' ECONNREFUSED.
    @Test func aClosedUpstreamPortIsTryAgain() throws {
        let closed = try RefusingPort()
        defer { closed.stop() }
        let (daemon, client) = try failingDaemon(upstreams: [closed.serverAddress])
        defer { daemon.stop() }
        for request in Self.forwardLookups {
            expectFailure(client.ask(request), 11002, "WSATRY_AGAIN", request)
        }
    }

    /// An upstream that never answers, and no `timeout_ms`: c-ares gives up after its tries
    /// (ARES_ETIMEOUT), which is WSATRY_AGAIN — not the lookup's own WSAETIMEDOUT.
    @Test func cAresGivingUpIsTryAgainNotTimedOut() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        let (daemon, client) = try failingDaemon(upstreams: [silent.serverAddress])
        defer { daemon.stop() }
        for request in Self.forwardLookups {
            expectFailure(client.ask(request), 11002, "WSATRY_AGAIN", request)
        }
        let stats = try #require(client.ask(#""op":"stats""#)?.result)
        #expect(stats["timed_out"]?.intValue == 0, "c-ares' timeout is not the lookup's own: \(stats)")
    }

    /// One reply cut short inside its answer record. `query` hands the bytes to resolvd's
    /// parser, which rejects them: WSANO_RECOVERY. The other ops go through c-ares' own
    /// parsers (addresses, PTR), which report ARES_EBADRESP: WSATRY_AGAIN.
    @Test func aMalformedAnswerIsNoRecoveryOrTryAgainByWhoRejectsIt() throws {
        let upstream = try ScriptedUpstream.start(script: .truncatedAnswerRecord)
        defer { upstream.stop() }
        let (daemon, client) = try failingDaemon(upstreams: [upstream.serverAddress])
        defer { daemon.stop() }
        for type in ["A", "AAAA", "MX", "TXT"] {
            expectFailure(client.ask(#""op":"query","name":"www.example.test","type":"\#(type)""#), 11003, "WSANO_RECOVERY", "query \(type)")
        }
        expectFailure(client.ask(#""op":"getaddrinfo","name":"www.example.test","family":"inet""#), 11002, "WSATRY_AGAIN", "getaddrinfo")
        expectFailure(client.ask(#""op":"getaddrinfo","name":"www.example.test""#), 11002, "WSATRY_AGAIN", "getaddrinfo unspec")
        expectFailure(client.ask(#""op":"gethostbyname","name":"www.example.test""#), 11002, "WSATRY_AGAIN", "gethostbyname")
        // ares_parse_ptr_reply rejects the broken PTR answer (ARES_EBADRESP).
        expectFailure(client.ask(#""op":"gethostbyaddr","address":"192.0.2.10""#), 11002, "WSATRY_AGAIN", "gethostbyaddr")
        expectFailure(client.ask(#""op":"getnameinfo","address":"192.0.2.10""#), 11002, "WSATRY_AGAIN", "getnameinfo")
        #expect(upstream.queriesReceived >= 9)
    }

    /// A PTR query answered SERVFAIL is a temporary failure for both reverse lookups, with
    /// or without `namereqd` (glibc's EAI_AGAIN), never "no such name" — which is what
    /// c-ares 1.18's ares_gethostbyaddr would have said (docs/error-codes.md).
    @Test func aFailedPTRQueryIsTryAgain() throws {
        let upstream = try FailingUpstream.start(failure: .serverFailure)
        defer { upstream.stop() }
        let (daemon, client) = try failingDaemon(upstreams: [upstream.serverAddress])
        defer { daemon.stop() }
        expectFailure(client.ask(#""op":"gethostbyaddr","address":"192.0.2.10""#), 11002, "WSATRY_AGAIN", "gethostbyaddr")
        expectFailure(client.ask(#""op":"getnameinfo","address":"192.0.2.10","flags":["namereqd"]"#), 11002, "WSATRY_AGAIN", "getnameinfo namereqd")
        expectFailure(client.ask(#""op":"getnameinfo","address":"2001:db8::10""#), 11002, "WSATRY_AGAIN", "getnameinfo")
        #expect(upstream.queriesReceived >= 3, "the PTR queries did reach the upstream")
    }

    // MARK: - 10060, 10055

    /// The lookup's own `timeout_ms` expiring, for every op that goes upstream, while c-ares
    /// would still be waiting (its per-try timeout is 30 s).
    @Test func theLookupsOwnDeadlineIsTimedOut() throws {
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        let daemon = try DaemonProcess.start(upstream: silent.serverAddress, timeoutMilliseconds: 30_000, tries: 1)
        defer { daemon.stop() }
        let client = NumberedClient(try daemon.connect())
        let requests = [
            #""op":"getaddrinfo","name":"a.example.test""#,
            #""op":"query","name":"b.example.test","type":"A""#,
            #""op":"gethostbyname","name":"c.example.test""#,
            #""op":"gethostbyaddr","address":"192.0.2.1""#,
            #""op":"getnameinfo","address":"192.0.2.2""#,
        ]
        for request in requests {
            expectFailure(client.ask(request + #","timeout_ms":100"#), 10060, "WSAETIMEDOUT", request)
        }
        let stats = try #require(client.ask(#""op":"stats""#)?.result)
        #expect(stats["timed_out"]?.intValue == Int64(requests.count), "\(stats)")
    }

    /// A result that does not fit `buflen`: 10055 with `required`, and `required` is exactly
    /// enough (one byte less is not).
    @Test func aTooSmallBufferIsNoBufferSpaceWithTheLengthNeeded() throws {
        let databases = try TestDatabases()
        defer { databases.remove() }
        let (daemon, client) = try unboundDaemon(config: databases.config)
        defer { daemon.stop() }
        let requests = [
            #""op":"gethostbyname","name":"big.example.test""#,
            #""op":"gethostbyaddr","address":"192.0.2.10""#,
            #""op":"getservbyname","name":"contract","proto":"tcp""#,
            #""op":"getservbyport","port":4242,"proto":"tcp""#,
            #""op":"getprotobyname","name":"contractproto""#,
            #""op":"getprotobynumber","number":200"#,
        ]
        for request in requests {
            let small = try #require(client.ask(request + #","buflen":8"#))
            expectFailure(small, 10055, "WSAENOBUFS", request)
            let required = try #require(small["required"]?.intValue, "\(request): \(small)")
            #expect(required > 8)
            expectFailure(client.ask(request + #","buflen":\#(required - 1)"#), 10055, "WSAENOBUFS", "\(request), one byte short")
            #expect(client.ask(request + #","buflen":\#(required)"#)?.status == 0, "\(request) with buflen \(required)")
        }
    }
}

// MARK: - Helpers

extension ResultCodeContractTests {
    /// Forward lookups that go upstream, one per c-ares entry point resolvd uses for names.
    static let forwardLookups = [
        #""op":"query","name":"www.example.test","type":"A""#,
        #""op":"getaddrinfo","name":"www.example.test","family":"inet""#,
        #""op":"gethostbyname","name":"www.example.test""#,
    ]

    /// A name of exactly `length` characters (≥ 14) under example.test, in labels of at most 63.
    static func name(length: Int) -> String {
        var remaining = length - ".example.test".utf8.count
        var labels: [String] = []
        while remaining > 0 {
            let dot = labels.isEmpty ? 0 : 1
            let size = min(63, remaining - dot)
            precondition(size > 0, "no name of \(length) characters in this shape")
            let letter = Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(labels.count)))
            labels.append(String(repeating: letter, count: size))
            remaining -= size + dot
        }
        return labels.joined(separator: ".") + ".example.test"
    }

    private func unboundDaemon(config: String = "") throws -> (DaemonProcess, NumberedClient) {
        let daemon = try DaemonProcess.start(upstream: DaemonOperationTests.unbound.get().serverAddress, config: config)
        do {
            return (daemon, NumberedClient(try daemon.connect()))
        } catch {
            daemon.stop()
            throw error
        }
    }

    /// A daemon on `upstreams` that gives up fast: one try of 200 ms per upstream.
    private func failingDaemon(upstreams: [String]) throws -> (DaemonProcess, NumberedClient) {
        let daemon = try DaemonProcess.start(
            upstream: upstreams[0], timeoutMilliseconds: 200, tries: 1,
            extraArguments: upstreams.dropFirst().flatMap { ["--dns", $0] })
        do {
            return (daemon, NumberedClient(try daemon.connect()))
        } catch {
            daemon.stop()
            throw error
        }
    }
}

/// Checks a failure reply: its status and symbol, a message for people, and no result.
func expectFailure(
    _ reply: JSONObject?, _ status: Int64, _ symbol: String, _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let reply else {
        Issue.record("\(what): no reply", sourceLocation: sourceLocation)
        return
    }
    #expect(reply.status == status && reply.errorSymbol == symbol, "\(what): \(reply)", sourceLocation: sourceLocation)
    #expect(reply["message"]?.stringValue?.isEmpty == false, "\(what): a message", sourceLocation: sourceLocation)
    #expect(reply["result"] == nil, "\(what): no result", sourceLocation: sourceLocation)
}

/// A ``LineClient`` that numbers its requests: `ask(#""op":"hello""#)` sends
/// `{"id":n,"op":"hello"}` with the next id and returns the reply with that id.
final class NumberedClient {
    let lines: LineClient
    private var nextID: Int64 = 1

    init(_ lines: LineClient) { self.lines = lines }

    func ask(_ fields: String) -> JSONObject? {
        let id = nextID
        nextID += 1
        return lines.call("{\"id\":\(id),\(fields)}", id: id)
    }
}

/// A services and a protocols file of the test's own, so service and protocol answers do
/// not depend on this machine's /etc/services and /etc/protocols.
struct TestDatabases {
    let directory: String

    /// Configuration lines that point a daemon at these files.
    var config: String { "services_file = \(directory)/services\nprotocols_file = \(directory)/protocols\n" }

    init() throws {
        var template = Array("/tmp/resolvd-codes-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw FixtureError("mkdtemp failed") }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        try writeFile(directory + "/services", """
            contract    4242/tcp    contract-alias
            contract    4242/udp
            udponly     4243/udp

            """)
        try writeFile(directory + "/protocols", "contractproto 200 CONTRACTPROTO\n")
    }

    func remove() {
        unlink(directory + "/services")
        unlink(directory + "/protocols")
        rmdir(directory)
    }
}
