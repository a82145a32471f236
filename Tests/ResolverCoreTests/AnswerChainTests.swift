import ResolverTesting
import Testing

@testable import ResolverCore

/// A `query` answer holds only the records of the name asked and of its CNAME chain.
@Suite struct AnswerChainTests {
    private func record(_ name: String, _ data: DNSRecordData) -> DNSRecord {
        DNSRecord(name: name, ttl: 300, data: data)
    }

    @Test func recordsOffTheChainAreDropped() {
        let message = DNSMessage(id: 1, rcode: 0, answers: [
            record("evil.test", .a(address: "192.0.2.66")),
            record("www.example.test", .cname(target: "b.example.test")),
            record("B.Example.Test", .cname(target: "c.example.test.")),  // case and a trailing dot
            record("c.example.test", .a(address: "192.0.2.3")),
            record("other.example.test", .a(address: "192.0.2.4")),
        ])
        #expect(message.answers(chainedFrom: "WWW.example.test").map(\.name)
            == ["www.example.test", "B.Example.Test", "c.example.test"])
    }

    @Test func aChainInAnyOrderIsFollowed() {
        let message = DNSMessage(id: 1, rcode: 0, answers: [
            record("c.test", .a(address: "192.0.2.3")),
            record("b.test", .cname(target: "c.test")),
            record("a.test", .cname(target: "b.test")),
        ])
        #expect(message.answers(chainedFrom: "a.test").count == 3)
        #expect(message.answers(chainedFrom: "b.test").map(\.name) == ["c.test", "b.test"])
        #expect(message.answers(chainedFrom: "z.test").isEmpty)
    }

    @Test func aCNAMELoopEnds() {
        let message = DNSMessage(id: 1, rcode: 0, answers: [
            record("a.test", .cname(target: "b.test")),
            record("b.test", .cname(target: "a.test")),
        ])
        #expect(message.answers(chainedFrom: "a.test").count == 2)
    }

    /// Through the engine, against an upstream that adds a stray record to every answer.
    @Test func theEngineReturnsOnlyTheChain() async throws {
        let upstream = try ScriptedUpstream.start(script: .strayAnswerRecord)
        defer { upstream.stop() }
        let resolver = try Fixtures.resolver(upstream: upstream.serverAddress, timeoutPerTry: .seconds(2), tries: 1)
        let answer = try await resolver.query("asked.example.test", type: .a)
        #expect(answer.records == [
            DNSRecord(name: "asked.example.test", ttl: 300, data: .cname(target: "chained.example.test")),
            DNSRecord(name: "chained.example.test", ttl: 300, data: .a(address: "192.0.2.2")),
        ])
        #expect(upstream.queriesReceived == 1)
    }
}
