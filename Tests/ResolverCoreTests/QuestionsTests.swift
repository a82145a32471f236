import Testing

@testable import ResolverCore

/// The question layer's pure parts: the search list, and what a reply says about a question.
@Suite struct QuestionsTests {
    @Test func theSearchListExpandsAsCAresDoes() {
        let domains = ["corp.test", "lab.test."]
        // Fewer dots than ndots: the search domains first, the name itself last.
        #expect(Resolver.searchNames(for: "www", domains: domains, ndots: 1) == ["www.corp.test", "www.lab.test", "www"])
        // At least ndots dots: itself first.
        #expect(Resolver.searchNames(for: "www.example", domains: domains, ndots: 1) == ["www.example", "www.example.corp.test", "www.example.lab.test"])
        #expect(Resolver.searchNames(for: "www.example", domains: domains, ndots: 2) == ["www.example.corp.test", "www.example.lab.test", "www.example"])
        // A trailing dot: only itself. No search list: only itself.
        #expect(Resolver.searchNames(for: "www.", domains: domains, ndots: 5) == ["www"])
        #expect(Resolver.searchNames(for: "www", domains: [], ndots: 1) == ["www"])
    }

    static func record(_ name: String, _ data: DNSRecordData, ttl: UInt32 = 60) -> DNSRecord { DNSRecord(name: name, ttl: ttl, data: data) }

    @Test func aReplysChainIsFollowedInOrderAndStrangersAreDropped() {
        let message = DNSMessage(id: 1, rcode: 0, answers: [
            Self.record("evil.test", .a(address: "203.0.113.66")),
            Self.record("mid.test", .cname(target: "End.Test"), ttl: 30),
            Self.record("WWW.test", .cname(target: "mid.test")),
            Self.record("end.test", .a(address: "192.0.2.1")),
            Self.record("end.test", .aaaa(address: "2001:db8::1")),
        ])
        guard case .records(let chain, let records) = QuestionOutcome(message, for: DNSQuestion(name: "www.test.", type: DNSQuestion.a)) else {
            Issue.record("no records")
            return
        }
        #expect(chain.map(\.name) == ["WWW.test", "mid.test"])
        #expect(records.map(\.data) == [.a(address: "192.0.2.1")], "only the type asked, never a stranger's")
        let outcome = QuestionOutcome.records(chain: chain, records: records)
        #expect(outcome.canonicalName == "End.Test" && outcome.chainTTL == 30 && outcome.aliases == ["WWW.test", "mid.test"])
    }

    /// The root, asked as `.`, owns the records the parser writes with the name `""`.
    @Test func theRootIsTheRootWrittenEitherWay() {
        let message = DNSMessage(id: 1, rcode: 0, answers: [Self.record("", .ns(target: "a.root-servers.test"))])
        guard case .records(_, let records) = QuestionOutcome(message, for: DNSQuestion(name: ".", type: DNSRecordType.ns.number)) else {
            Issue.record("the root's records were not its own")
            return
        }
        #expect(records.count == 1 && DNSQuestion.canonical(".") == "" && DNSQuestion.sameName(".", ""))
        #expect(message.answers(chainedFrom: ".").count == 1)
    }

    @Test func negativesKeepTheirSOA() {
        let soa = Self.record("test", .soa(mname: "ns.test", rname: "h.test", serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 5))
        var message = DNSMessage(id: 1, rcode: 3, authority: [soa])
        guard case .nameError(_, soa?) = QuestionOutcome(message, for: DNSQuestion(name: "nx.test", type: DNSQuestion.a)) else {
            Issue.record("NXDOMAIN lost")
            return
        }
        message.rcode = 0
        message.answers = [Self.record("other.test", .a(address: "192.0.2.9"))]
        guard case .noData(_, soa?) = QuestionOutcome(message, for: DNSQuestion(name: "nx.test", type: DNSQuestion.a)) else {
            Issue.record("another name's records made it an answer")
            return
        }
    }
}
