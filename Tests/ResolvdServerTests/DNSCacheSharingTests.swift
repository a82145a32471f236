import Foundation
import ResolvdProtocol
import ResolverTesting
import Testing

/// One DNS cache under every op and front end (docs/cache.md), through the sockets: a proxy
/// in front of unbound counts what the upstream is asked, by name and type.
@Suite(.serialized) struct DNSCacheSharingTests {
    static let hostname = "io.systemd.Resolve.ResolveHostname"
    static let a = "www.example.test 1"
    static let aaaa = "www.example.test 28"

    private func proxiedDaemon() throws -> (DaemonProcess, DelayingProxy) { try VarlinkFrontEndTests.proxiedDaemon() }

    /// The same name asked nine ways (every address op, two record queries, Varlink).
    static let nineWays = [
        #""op":"getaddrinfo","name":"www.example.test","family":"inet""#,
        #""op":"getaddrinfo","name":"www.example.test""#,
        #""op":"getaddrinfo","name":"www.example.test","family":"inet6","socktype":"stream""#,
        #""op":"getaddrinfo","name":"www.example.test","service":"http""#,
        #""op":"getaddrinfo","name":"WWW.Example.Test","flags":["canonname"],"timeout_ms":5000"#,
        #""op":"gethostbyname","name":"www.example.test""#,
        #""op":"query","name":"www.example.test","type":"A""#,
        #""op":"query","name":"www.example.test.","type":"AAAA""#,
    ]

    @Test func nineWaysOneAfterAnotherCostOneAAndOneAAAA() throws {
        let (daemon, proxy) = try proxiedDaemon()
        defer { daemon.stop(); proxy.stop() }
        let client = try daemon.connect()
        for (index, request) in Self.nineWays.enumerated() {
            let reply = try #require(client.call("{\"id\":\(index + 1),\(request)}", id: Int64(index + 1)))
            #expect(reply.status == 0, "\(request): \(reply)")
        }
        let varlink = try LineClient.varlink(path: daemon.varlinkSocketPath)
        let answer = try #require(varlink.varlinkCall(Self.hostname, #"{"name":"www.example.test"}"#))
        #expect(answer.varlinkError == nil, "\(answer)")
        #expect(proxy.questionsForwarded == [Self.a: 1, Self.aaaa: 1], "\(proxy.questionsForwarded)")
    }

    /// All nine at once while the upstream's answers are held: every op joins the two
    /// questions in flight (13 waiters on 2 questions: 11 joined).
    @Test func nineWaysAtOnceCostOneAAndOneAAAA() throws {
        let (daemon, proxy) = try proxiedDaemon()
        defer { daemon.stop(); proxy.stop() }
        let client = try daemon.connect()
        let observer = try daemon.connect()
        let varlink = try LineClient.varlink(path: daemon.varlinkSocketPath)
        proxy.hold()
        for (index, request) in Self.nineWays.enumerated() { client.send("{\"id\":\(index + 1),\(request)}") }
        varlink.sendVarlinkCall(Self.hostname, #"{"name":"www.example.test"}"#)
        var statsID: Int64 = 1
        #expect(observer.waitForStat("coalesced", toBe: 11, nextID: &statsID)?["coalesced"]?.intValue == 11)
        proxy.release()
        var statuses: [Int64] = []
        for _ in Self.nineWays { if let reply = client.reply() { statuses.append(reply.status ?? -1) } }
        #expect(statuses == Array(repeating: 0, count: Self.nineWays.count))
        #expect(varlink.reply()?.varlinkError == nil)
        #expect(proxy.questionsForwarded == [Self.a: 1, Self.aaaa: 1], "\(proxy.questionsForwarded)")
    }

    /// RFC 2308: one NXDOMAIN answers every type of the name; asked five ways, each type is
    /// asked upstream once at most (getaddrinfo's A and AAAA go together: both are asked).
    @Test func aNameErrorAnswersEveryTypeOfTheName() throws {
        let (daemon, proxy) = try proxiedDaemon()
        defer { daemon.stop(); proxy.stop() }
        let client = try daemon.connect()
        let ways = [
            (#""op":"getaddrinfo","name":"nxdomain.example.test""#, 11001),
            (#""op":"getaddrinfo","name":"nxdomain.example.test","family":"inet6""#, 11001),
            (#""op":"gethostbyname","name":"nxdomain.example.test""#, 11001),
            (#""op":"query","name":"nxdomain.example.test","type":"MX""#, 11001),
            (#""op":"query","name":"NXDOMAIN.example.test","type":"TXT""#, 11001),
        ]
        for (index, (request, status)) in ways.enumerated() {
            #expect(client.call("{\"id\":\(index + 1),\(request)}", id: Int64(index + 1))?.status == Int64(status), "\(request)")
        }
        let asked = proxy.questionsForwarded
        #expect(asked.values.allSatisfy { $0 == 1 } && asked.keys.allSatisfy { $0.hasPrefix("nxdomain.example.test ") }, "\(asked)")
        #expect(asked.count <= 2, "only the first op's questions: \(asked)")
    }

    @Test func reverseLookupsAreCached() throws {
        let (daemon, proxy) = try proxiedDaemon()
        defer { daemon.stop(); proxy.stop() }
        let client = try daemon.connect()
        let first = try #require(client.call(#"{"id":1,"op":"getnameinfo","address":"192.0.2.10","flags":["namereqd"]}"#, id: 1))
        #expect(first.status == 0 && first.result?["host"]?.stringValue == "www.example.test", "\(first)")
        #expect(client.call(#"{"id":2,"op":"getnameinfo","address":"192.0.2.10","port":80}"#, id: 2)?.status == 0)
        let host = try #require(client.call(#"{"id":3,"op":"gethostbyaddr","address":"192.0.2.10"}"#, id: 3))
        #expect(host.status == 0 && host.result?["name"]?.stringValue == "www.example.test", "\(host)")
        #expect(proxy.questionsForwarded == ["10.2.0.192.in-addr.arpa 12": 1], "\(proxy.questionsForwarded)")
    }

    /// TTLs count down from when the record was stored, whichever op reads it.
    @Test func anotherOpReadsTheTTLCountedDown() throws {
        let (daemon, proxy) = try proxiedDaemon()
        defer { daemon.stop(); proxy.stop() }
        let client = try daemon.connect()
        let first = try #require(client.call(#"{"id":1,"op":"getaddrinfo","name":"www.example.test","family":"inet"}"#, id: 1))
        let stored = ContinuousClock.now
        let firstTTL = try #require(first.result?["addresses"]?.arrayValue?.first?.objectValue?["ttl"]?.intValue)
        // Time must pass for a TTL to count down: this waits for it, it orders nothing.
        Thread.sleep(until: Date(timeIntervalSinceNow: 2.05))
        let later = try #require(client.call(#"{"id":2,"op":"query","name":"www.example.test","type":"A"}"#, id: 2))
        let laterTTL = try #require(later.result?["records"]?.arrayValue?.first?.objectValue?["ttl"]?.intValue)
        let elapsed = Int64((ContinuousClock.now - stored).components.seconds)
        #expect(laterTTL <= firstTTL - 2 && laterTTL >= firstTTL - elapsed - 1, "\(firstTTL) then \(laterTTL) after \(elapsed) s")
        #expect(proxy.questionsForwarded == [Self.a: 1])
    }

    /// `timeout_ms` is the waiter's: of two lookups waiting on one question, the one with
    /// 300 ms is answered 10060 at its deadline, the other gets the answer when it comes.
    @Test func eachWaiterHasItsOwnTimeout() throws {
        let (daemon, proxy) = try proxiedDaemon()
        defer { daemon.stop(); proxy.stop() }
        let short = try daemon.connect()
        let long = try daemon.connect()
        proxy.hold()
        let started = ContinuousClock.now
        long.send(#"{"id":1,"op":"getaddrinfo","name":"multi.example.test","family":"inet","socktype":"stream","timeout_ms":5000}"#)
        short.send(#"{"id":1,"op":"query","name":"multi.example.test","type":"A","timeout_ms":300}"#)
        let timedOut = try #require(short.reply())
        let after = ContinuousClock.now - started
        #expect(timedOut.status == 10060, "\(timedOut)")
        #expect(after >= .milliseconds(300) && after < .milliseconds(2_500), "answered at its own deadline: \(after)")
        #expect(proxy.repliesHeld <= 1 && proxy.questionsForwarded == ["multi.example.test 1": 1], "the question went on")
        proxy.release()
        let answered = try #require(long.reply())
        #expect(answered.status == 0 && answered.result?["addresses"]?.arrayValue?.count == 2, "\(answered)")
        #expect(proxy.questionsForwarded == ["multi.example.test 1": 1])
    }
}
