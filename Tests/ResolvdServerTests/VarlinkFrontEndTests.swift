import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The Varlink socket as a second front end over the same lookup service as protocol v1:
/// calls answered in order, hang-up cancelling, one upstream query shared with v1, the
/// cache bypass, the limits, and bad input that costs nobody else anything.
@Suite struct VarlinkFrontEndTests {
    private static let hostname = "io.systemd.Resolve.ResolveHostname"

    /// A daemon whose upstream is the unbound fixture behind a DelayingProxy (hold/release).
    /// A daemon whose upstream is a proxy (counting, gating) in front of the shared unbound.
    static func proxiedDaemon() throws -> (DaemonProcess, DelayingProxy) {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        do {
            return (try DaemonProcess.start(upstream: proxy.serverAddress), proxy)
        } catch {
            proxy.stop()
            throw error
        }
    }

    private func pendingDaemon(config: String = "") throws -> (DaemonProcess, SilentUpstream) {
        let silent = try SilentUpstream.start()
        return (try DaemonProcess.start(upstream: silent.serverAddress, config: config, timeoutMilliseconds: 30_000, tries: 1), silent)
    }

    /// Pipelined calls are answered in the order they came, a slow lookup holding back the
    /// replies behind it.
    @Test func pipelinedCallsAreAnsweredInOrder() throws {
        let (daemon, proxy) = try Self.proxiedDaemon()
        defer { daemon.stop(); proxy.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        proxy.hold()
        client.sendVarlinkCall(Self.hostname, #"{"name":"v4only.example.test","family":2}"#)
        client.sendVarlinkCall("org.varlink.service.GetInfo")
        client.sendVarlinkCall(Self.hostname, #"{"name":"192.0.2.99"}"#)
        client.sendVarlinkCall(Self.hostname, #"{"name":"nxdomain.example.test"}"#)
        #expect(proxy.waitUntil(repliesHeld: 1))
        #expect(client.readLine(timeout: .milliseconds(300)) == nil, "nothing overtakes the held lookup")
        proxy.release()
        let replies = (0..<4).map { _ in client.reply() }
        #expect(VarlinkResolveTests.bytes(replies[0]) == [[192, 0, 2, 20]], "\(replies)")
        #expect(replies[1]?.varlinkParameters?["vendor"]?.stringValue == "resolvd")
        #expect(VarlinkResolveTests.bytes(replies[2]) == [[192, 0, 2, 99]])
        #expect(replies[3]?.varlinkError == "io.systemd.Resolve.DNSError")
    }

    /// Hanging up with a call pending cancels its waiter like v1's cancel_all: the lookup
    /// is counted aborted and nothing stays in flight.
    @Test func hangingUpCancelsThePendingCall() throws {
        let (daemon, silent) = try pendingDaemon()
        defer { daemon.stop(); silent.stop() }
        let observer = try daemon.connect()
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        client.sendVarlinkCall(Self.hostname, #"{"name":"pending.example.test"}"#)
        var id: Int64 = 1
        #expect(observer.waitForStat("in_flight", toBe: 1, nextID: &id)?["in_flight"]?.intValue == 1)
        client.close()
        let stats = observer.waitForStat("in_flight", toBe: 0, nextID: &id)
        #expect(stats?["in_flight"]?.intValue == 0, "\(String(describing: stats))")
        #expect(stats?["aborted"]?.intValue == 1)
        #expect(stats?["front_ends"]?.objectValue?["varlink"]?.intValue == 1)
        #expect(stats?["front_ends"]?.objectValue?["v1"]?.intValue == 0)
    }

    /// SIGTERM answers a pending call QueryAborted (ERROR_OPERATION_ABORTED), writes it,
    /// closes, and exits 0.
    @Test func shutdownAnswersPendingCallsQueryAborted() throws {
        let (daemon, silent) = try pendingDaemon()
        var exited = false
        defer {
            // stop() would wait for a process already reaped by waitForExit.
            if exited { SystemdTestSupport.removeTree(daemon.directory) } else { daemon.stop() }
            silent.stop()
        }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        client.sendVarlinkCall(Self.hostname, #"{"name":"pending.example.test"}"#)
        client.sendVarlinkCall("org.varlink.service.GetInfo")
        let observer = try daemon.connect()
        var id: Int64 = 1
        #expect(observer.waitForStat("in_flight", toBe: 1, nextID: &id)?["in_flight"]?.intValue == 1)
        daemon.signal(SIGTERM)
        #expect(client.reply()?.varlinkError == "io.systemd.Resolve.QueryAborted")
        #expect(client.reply()?.varlinkParameters?["vendor"]?.stringValue == "resolvd", "the call behind it is answered too")
        #expect(client.isClosedByPeer())
        let status = daemon.waitForExit()
        exited = status != nil
        #expect(status == 0)
    }

    /// A Varlink call and a v1 lookup of the same name share one upstream query; the
    /// Varlink client hanging up leaves the v1 waiter its answer.
    @Test func sharesOneUpstreamQueryWithV1() throws {
        let (daemon, proxy) = try Self.proxiedDaemon()
        defer { daemon.stop(); proxy.stop() }
        let v1 = try daemon.connect()
        let varlink = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let leaving = try LineClient.varlink(path: daemon.varlinkSocketPath)
        proxy.hold()
        v1.send(#"{"id":1,"op":"getaddrinfo","name":"www.example.test","socktype":"stream","flags":["canonname"]}"#)
        #expect(proxy.waitUntil(queriesForwarded: 2), "A and AAAA asked")
        varlink.sendVarlinkCall(Self.hostname, #"{"name":"www.example.test"}"#)
        leaving.sendVarlinkCall(Self.hostname, #"{"name":"www.example.test"}"#)
        var id: Int64 = 10
        // Two Varlink calls joined both questions (A and AAAA) in flight: four waiters joined.
        #expect(v1.waitForStat("coalesced", toBe: 4, nextID: &id)?["coalesced"]?.intValue == 4)
        leaving.close()
        #expect(v1.waitForStat("aborted", toBe: 1, nextID: &id)?["aborted"]?.intValue == 1)
        proxy.release()
        let answer = try #require(v1.reply())
        #expect(answer.id == 1 && answer.status == 0, "\(answer)")
        let reply = try #require(varlink.reply())
        #expect(reply.varlinkParameters?["flags"]?.intValue == VarlinkResolveTests.dns | VarlinkResolveTests.fromNetwork)
        #expect(Set(VarlinkResolveTests.bytes(reply)).count == 2)
        #expect(proxy.queriesForwarded == 2, "one upstream lookup (A and AAAA) for all three")
        // And the cache is shared: v1 now reads the Varlink-filled entry and vice versa.
        let stats = try #require(v1.call(#"{"id":20,"op":"stats"}"#, id: 20)?.result)
        #expect(stats["front_ends"]?.objectValue?["varlink"]?.intValue == 2)
        #expect(stats["front_ends"]?.objectValue?["v1"]?.intValue == 1)
        #expect(varlink.varlinkCall(Self.hostname, #"{"name":"www.example.test"}"#)?.varlinkParameters?["flags"]?.intValue
            == VarlinkResolveTests.dns | VarlinkResolveTests.fromCache)
    }

    /// SD_RESOLVED_NO_CACHE skips the cache (a new upstream query) and still fills it.
    @Test func noCacheFlagBypassesTheCache() throws {
        let (daemon, proxy) = try Self.proxiedDaemon()
        defer { daemon.stop(); proxy.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let parameters = #"{"name":"v4only.example.test","family":2}"#
        let noCache = #"{"name":"v4only.example.test","family":2,"flags":4096}"#
        #expect(client.varlinkCall(Self.hostname, parameters)?.varlinkParameters?["flags"]?.intValue
            == VarlinkResolveTests.dns | VarlinkResolveTests.fromNetwork)
        #expect(proxy.queriesForwarded == 1)
        #expect(client.varlinkCall(Self.hostname, parameters)?.varlinkParameters?["flags"]?.intValue
            == VarlinkResolveTests.dns | VarlinkResolveTests.fromCache)
        #expect(proxy.queriesForwarded == 1)
        let bypass = try #require(client.varlinkCall(Self.hostname, noCache))
        #expect(bypass.varlinkParameters?["flags"]?.intValue == VarlinkResolveTests.dns | VarlinkResolveTests.fromNetwork, "\(bypass)")
        #expect(proxy.queriesForwarded == 2, "NO_CACHE asked upstream again")
        #expect(VarlinkResolveTests.bytes(bypass) == [[192, 0, 2, 20]])
    }

    /// A malformed message or one over max_request_bytes closes that connection only.
    @Test func badMessagesCloseOnlyTheirConnection() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, config: "max_request_bytes = 1024\n")
        defer { daemon.stop() }
        let bystander = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let v1 = try daemon.connect()
        for bad in ["not json", "[1,2]", #"{"parameters":{}}"#, #"{"method":7}"#, #"{"method":"a.B","parameters":[]}"#,
                    #"{"method":"a.B","oneway":"yes"}"#, #"{"method":"a.B","sneaky":1}"#, #"{"method":"a.B","upgrade":true}"#] {
            let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
            client.send(bad)
            #expect(client.isClosedByPeer(), "\(bad) closes the connection")
        }
        let oversized = try LineClient.varlink(path: daemon.varlinkSocketPath)
        oversized.sendRaw(Array(#"{"method":"org.varlink.service.GetInfo","parameters":{"x":""#.utf8) + [UInt8](repeating: 0x61, count: 2000))
        #expect(oversized.isClosedByPeer(), "a message over the limit closes the connection before its NUL")
        #expect(bystander.varlinkCall("org.varlink.service.GetInfo")?.varlinkParameters?["vendor"]?.stringValue == "resolvd")
        let stats = try #require(v1.call(#"{"id":1,"op":"stats"}"#, id: 1)?.result)
        #expect(stats["protocol_errors"]?.intValue == 9)
    }

    /// More lookups in flight than max_lookups_per_connection: io.resolvd.TooManyCalls, in order.
    @Test func callsInFlightAreLimitedPerConnection() throws {
        let (daemon, silent) = try pendingDaemon(config: "max_lookups_per_connection = 2\n")
        defer { daemon.stop(); silent.stop() }
        let client = try LineClient.varlink(path: daemon.varlinkSocketPath)
        for name in ["a", "b", "c"] { client.sendVarlinkCall(Self.hostname, #"{"name":"\#(name).example.test"}"#) }
        let other = try LineClient.varlink(path: daemon.varlinkSocketPath)
        #expect(other.varlinkCall(Self.hostname, #"{"name":"192.0.2.1"}"#)?.varlinkParameters != nil, "another connection is not limited")
        #expect(client.readLine(timeout: .milliseconds(300)) == nil, "the refusal waits behind the two calls in flight")
        let observer = try daemon.connect()
        let stats = try #require(observer.call(#"{"id":1,"op":"stats"}"#, id: 1)?.result)
        #expect(stats["rejected"]?.intValue == 1 && stats["in_flight"]?.intValue == 2, "\(stats)")
        client.close()
    }

    /// Over max_connections (counted over both sockets) a Varlink connection is closed at
    /// once, so nss-resolve falls back to the next module; an unprivileged peer is served.
    @Test func connectionsOverTheLimitAreClosed() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try DaemonProcess.start(upstream: unbound.serverAddress, config: "max_connections = 2\n")
        defer { daemon.stop() }
        let first = try daemon.connect()
        var id: Int64 = 1
        // DaemonProcess's readiness probe may still be counted: wait until only `first` is.
        #expect(first.waitForStat("connections", toBe: 1, nextID: &id)?["connections"]?.intValue == 1)
        let second = try LineClient.varlink(path: daemon.varlinkSocketPath)
        #expect(second.varlinkCall("org.varlink.service.GetInfo")?.varlinkParameters != nil)
        let third = try LineClient.varlink(path: daemon.varlinkSocketPath)
        #expect(third.isClosedByPeer())
        second.close()
        #expect(first.waitForStat("connections", toBe: 1, nextID: &id)?["connections"]?.intValue == 1)
        let again = try LineClient.varlink(path: daemon.varlinkSocketPath)
        #expect(again.varlinkCall("org.varlink.service.GetInfo")?.varlinkParameters != nil)
    }
}
