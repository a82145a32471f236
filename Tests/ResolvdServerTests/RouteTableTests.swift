import ResolverTesting
import Testing

@testable import ResolvdServer
import ResolverCore

/// ``RouteTable`` on its own: the longest routing domain by label, `.` as the default,
/// reverse zones, case and trailing dots, bad domains refused; and 70,000 random routes
/// (seeded) matched against a plain scan of every route.
@Suite struct RouteTableTests {
    @Test func theLongestRoutingDomainWins() {
        var table = RouteTable()
        table.insert(".", 0)
        table.insert("corp.example", 1)
        table.insert("lab.corp.example", 2)
        #expect(table.match("www.corp.example")?.value == 1)
        #expect(table.match("corp.example")?.value == 1, "a domain routes itself")
        #expect(table.match("a.b.lab.corp.example")?.value == 2)
        #expect(table.match("a.b.lab.corp.example")?.labels == 3)
        #expect(table.match("xcorp.example")?.value == 0, "labels, not characters: xcorp.example is not under corp.example")
        #expect(table.match("example")?.value == 0)
        #expect(table.match("www.example.org")?.labels == 0)
        #expect(table.match("")?.value == 0)
    }

    @Test func namesAreComparedCaseInsensitivelyAndTrailingDotsIgnored() {
        var table = RouteTable()
        table.insert("Corp.EXAMPLE.", 1)
        #expect(table.match("WWW.corp.example")?.value == 1)
        #expect(table.match("www.CORP.example.")?.value == 1)
        #expect(table.match("www.corp.example..") == nil, "an empty label matches nothing deeper")
        #expect(table.match("www.corp.exampl") == nil, "no default route: no match")
        #expect(RouteTable.normalized("Corp.Example.") == "corp.example")
        #expect(RouteTable.normalized(".") == ".")
    }

    @Test func reverseZonesAreDomainsLikeAnyOther() {
        var table = RouteTable()
        table.insert(".", 0)
        table.insert("2.10.in-addr.arpa", 3)
        table.insert("8.b.d.0.1.0.0.2.ip6.arpa", 4)
        #expect(table.match("4.3.2.10.in-addr.arpa")?.value == 3)
        #expect(table.match("4.3.3.10.in-addr.arpa")?.value == 0)
        #expect(table.match(ReverseName.of("2001:db8::1") ?? "")?.value == 4)
        #expect(table.match(ReverseName.of("10.2.7.9") ?? "")?.value == 3)
    }

    @Test func domainsThatAreNoNamesAreRefused() {
        var table = RouteTable()
        let emptyLabel = table.insert("a..b", 1)
        let longLabel = table.insert(String(repeating: "x", count: 64) + ".test", 1)
        #expect(!emptyLabel && !longLabel && table.count == 0)
        let first = table.insert("x.test", 1)
        let second = table.insert("x.test", 2)
        #expect(first && second, "replacing a domain's value")
        #expect(table.count == 1 && table.match("y.x.test")?.value == 2)
    }

    /// 70,000 routes of random depth over a small alphabet of labels (so that many share
    /// suffixes), and 20,000 random names: the trie agrees with a scan of every route.
    @Test func seventyThousandRoutesAgreeWithAScan() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("RouteTableTests seed \(seed)")
        var generator = SplitMix64(seed: seed)
        let labels = (0..<40).map { "l\($0)" }
        func randomName(maxDepth: Int) -> String {
            (0..<Int.random(in: 1...maxDepth, using: &generator)).map { _ in labels.randomElement(using: &generator)! }.joined(separator: ".")
        }
        var table = RouteTable()
        var reference: [String: Int32] = [:]
        while reference.count < 70_000 {
            let domain = randomName(maxDepth: 4)
            reference[domain] = Int32(reference.count)
            table.insert(domain, reference[domain]!)
        }
        #expect(table.count == 70_000)
        var matched = 0
        for _ in 0..<20_000 {
            let name = randomName(maxDepth: 6)
            let parts = name.split(separator: ".")
            // The scan: the longest suffix of the name that is a route.
            let expected = (0..<parts.count).lazy.compactMap { reference[parts[$0...].joined(separator: ".")] }.first
            let got = table.match(name.uppercased())
            #expect(got?.value == expected, "seed \(seed): \(name)")
            if expected != nil { matched += 1 }
        }
        #expect(matched > 1_000, "the names hit routes (seed \(seed))")
    }
}
