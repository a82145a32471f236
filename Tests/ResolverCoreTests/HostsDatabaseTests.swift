import Testing
@testable import ResolverCore

@Suite struct HostsDatabaseTests {
    static let hosts = HostsDatabase(parsing: """
        # comment
        127.0.0.1\tlocalhost
        ::1 localhost ip6-localhost ip6-loopback
        192.0.2.1   Web.Example.TEST web  www   # comment
        2001:db8::1 web.example.test
        192.0.2.2   web.example.test. mirror
        0:0:0:0:0:0:0:2 two
        192.0.2.300 bad-octet
        1.2.3 short
        fe80::1%eth0 scoped
        not-an-address nameless
        192.0.2.9
        198.51.100.7 dup dup
        """)

    @Test func namesAreCaseInsensitive() throws {
        let match = try #require(Self.hosts.addresses(for: "WEB.example.test", family: .inet))
        #expect(match.canonicalName == "Web.Example.TEST")
        #expect(match.aliases == ["web", "www"])
        #expect(match.addresses.map(\.text) == ["192.0.2.1", "192.0.2.2"])
        #expect(Self.hosts.addresses(for: "WWW", family: .inet)?.canonicalName == "Web.Example.TEST")
    }

    @Test func trailingDotIsIgnoredOnBothSides() throws {
        let withDot = try #require(Self.hosts.addresses(for: "web.example.test.", family: .unspecified))
        let withoutDot = try #require(Self.hosts.addresses(for: "web.example.test", family: .unspecified))
        #expect(withDot == withoutDot)
        // The file's "web.example.test." line is found without the dot too.
        #expect(Self.hosts.addresses(for: "mirror.", family: .inet)?.addresses.map(\.text) == ["192.0.2.2"])
        #expect(Self.hosts.addresses(for: "web.example.test..", family: .inet) == nil)
    }

    @Test func familiesAndFileOrderAcrossLines() throws {
        let both = try #require(Self.hosts.addresses(for: "web.example.test", family: .unspecified))
        #expect(both.addresses == [
            .init(family: .inet, text: "192.0.2.1"),
            .init(family: .inet6, text: "2001:db8::1"),
            .init(family: .inet, text: "192.0.2.2"),
        ])
        let v6 = try #require(Self.hosts.addresses(for: "web.example.test", family: .inet6))
        // The first *IPv6* line names it, so its spelling is the canonical name.
        #expect(v6.canonicalName == "web.example.test")
        #expect(v6.aliases == [])
        #expect(v6.addresses.map(\.text) == ["2001:db8::1"])

        let localhost = try #require(Self.hosts.addresses(for: "localhost", family: .inet6))
        #expect(localhost.aliases == ["ip6-localhost", "ip6-loopback"])
        #expect(localhost.addresses.map(\.text) == ["::1"])
        #expect(Self.hosts.addresses(for: "ip6-loopback", family: .inet) == nil)
        #expect(Self.hosts.addresses(for: "mirror", family: .inet6) == nil)
    }

    @Test func addressesAreCanonicalText() {
        #expect(Self.hosts.addresses(for: "two", family: .inet6)?.addresses.map(\.text) == ["::2"])
    }

    @Test func aNameListedTwiceOnALineCountsOnce() {
        #expect(Self.hosts.addresses(for: "dup", family: .inet)?.addresses.map(\.text) == ["198.51.100.7"])
    }

    @Test func badLinesAreSkipped() {
        for name in ["bad-octet", "short", "scoped", "nameless"] {
            #expect(Self.hosts.addresses(for: name, family: .unspecified) == nil, "\(name)")
        }
        #expect(Self.hosts.names(for: "192.0.2.9") == nil, "a line without a name")
        #expect(Self.hosts.addresses(for: "", family: .unspecified) == nil)
    }

    @Test func reverseLookupComparesBinaryAddresses() throws {
        let loopback = try #require(Self.hosts.names(for: "0:0::1"))
        #expect(loopback.name == "localhost")
        #expect(loopback.aliases == ["ip6-localhost", "ip6-loopback"])
        #expect(Self.hosts.names(for: "::2")?.name == "two")
        #expect(Self.hosts.names(for: "2001:DB8:0::1")?.name == "web.example.test")
        let web = try #require(Self.hosts.names(for: "192.0.2.1"))
        #expect(web.name == "Web.Example.TEST")
        #expect(web.aliases == ["web", "www"])
        #expect(Self.hosts.names(for: "127.0.0.1")?.name == "localhost")
        #expect(Self.hosts.names(for: "::ffff:127.0.0.1") == nil, "a v4-mapped address is not the IPv4 one")
        #expect(Self.hosts.names(for: "192.0.2.99") == nil)
        #expect(Self.hosts.names(for: "not an address") == nil)
    }

    @Test func emptyDatabaseFindsNothing() {
        #expect(HostsDatabase.empty.addresses(for: "localhost", family: .unspecified) == nil)
        #expect(HostsDatabase.empty.names(for: "127.0.0.1") == nil)
    }

    @Test func realHostsFileParses() throws {
        // The system's own file must parse and, like every /etc/hosts, know localhost.
        let database = try HostsDatabase(contentsOf: "/etc/hosts")
        #expect(database.addresses(for: "localhost", family: .unspecified) != nil)
    }
}
