import ResolverTesting
import Testing

@testable import ResolverCore

@Suite struct AddressInfoTests {
    @Test func unspecifiedGivesBothFamiliesForEverySocketType() async throws {
        let resolver = try Fixtures.unboundResolver()
        let info = try await resolver.addressInfo(AddressInfoRequest(name: "www.example.test"))
        let addresses = Set(info.addresses.map(\.address))
        #expect(addresses == ["192.0.2.10", "2001:db8::10"])
        // No service: stream/tcp, dgram/udp and raw for each address.
        #expect(info.addresses.count == 6)
        #expect(Set(info.addresses.map(\.socketType)) == [.stream, .datagram, .raw])
        #expect(info.addresses.allSatisfy { $0.ttl > 0 && $0.ttl <= 300 && $0.port == 0 })
        #expect(info.canonicalName == nil)
    }

    @Test func familiesFilter() async throws {
        let resolver = try Fixtures.unboundResolver()
        let v4 = try await resolver.addressInfo(AddressInfoRequest(name: "www.example.test", family: .inet, socketType: .stream))
        #expect(v4.addresses.map(\.address) == ["192.0.2.10"])
        #expect(v4.addresses.first?.transport == .tcp)
        let v6 = try await resolver.addressInfo(AddressInfoRequest(name: "www.example.test", family: .inet6, socketType: .stream))
        #expect(v6.addresses.map(\.address) == ["2001:db8::10"])
        #expect(v6.addresses.first?.family == .inet6)
    }

    @Test func nameWithoutAAAAGivesNoDataUnlessMapped() async throws {
        let resolver = try Fixtures.unboundResolver()
        let code = await errorCode { try await resolver.addressInfo(AddressInfoRequest(name: "v4only.example.test", family: .inet6)) }
        #expect(code == .noData)
        let mapped = try await resolver.addressInfo(
            AddressInfoRequest(name: "v4only.example.test", family: .inet6, socketType: .stream, flags: .v4Mapped))
        #expect(mapped.addresses.map(\.address) == ["::ffff:192.0.2.20"])
        let unspec = try await resolver.addressInfo(AddressInfoRequest(name: "v4only.example.test", socketType: .stream))
        #expect(unspec.addresses.map(\.address) == ["192.0.2.20"])
    }

    @Test func v4MappedWithAllGivesBoth() async throws {
        let resolver = try Fixtures.unboundResolver()
        let onlyV6 = try await resolver.addressInfo(
            AddressInfoRequest(name: "www.example.test", family: .inet6, socketType: .stream, flags: .v4Mapped))
        #expect(onlyV6.addresses.map(\.address) == ["2001:db8::10"])
        let both = try await resolver.addressInfo(
            AddressInfoRequest(name: "www.example.test", family: .inet6, socketType: .stream, flags: [.v4Mapped, .all]))
        // IPv6 first only on a host with a non-loopback IPv6 address, as for unspec (and glibc).
        let order = ConfiguredFamilies.current().inet6 ? ["2001:db8::10", "::ffff:192.0.2.10"] : ["::ffff:192.0.2.10", "2001:db8::10"]
        #expect(both.addresses.map(\.address) == order)
    }

    @Test func canonicalNameFollowsTheChainWithoutDuplicates() async throws {
        let resolver = try Fixtures.unboundResolver()
        let info = try await resolver.addressInfo(
            AddressInfoRequest(name: "chain.example.test", socketType: .stream, flags: .canonicalName))
        #expect(info.canonicalName == "www.example.test")
        #expect(info.addresses.map(\.address).sorted() == ["192.0.2.10", "2001:db8::10"])
        let host = try await resolver.hostByName("chain.example.test")
        #expect(host.name == "www.example.test")
        #expect(host.aliases.sorted() == ["alias.example.test", "chain.example.test"])
    }

    @Test func shortTTLIsReported() async throws {
        let resolver = try Fixtures.unboundResolver()
        let info = try await resolver.addressInfo(AddressInfoRequest(name: "short.example.test", family: .inet, socketType: .stream))
        #expect(info.addresses.first?.ttl ?? 0 <= 5)
        #expect(info.addresses.first?.ttl ?? 0 > 0)
    }

    @Test func servicesMapToPortsAndSocketTypes() async throws {
        let resolver = try Fixtures.unboundResolver()
        let numeric = try await resolver.addressInfo(AddressInfoRequest(name: "192.0.2.1", service: "8080"))
        #expect(numeric.addresses.map(\.port) == [8080, 8080])
        #expect(numeric.addresses.map(\.socketType) == [.stream, .datagram])
        let services = resolver.databases.services
        let named = try await resolver.addressInfo(AddressInfoRequest(name: "192.0.2.1", service: "ssh"))
        let expected = ["tcp", "udp"].filter { services.service(named: "ssh", proto: $0) != nil }
        #expect(named.addresses.compactMap(\.transport?.rawValue) == expected)
        #expect(named.addresses.allSatisfy { $0.port == 22 })
    }

    @Test func badServicesAndHints() async throws {
        let resolver = try Fixtures.unboundResolver()
        #expect(await errorCode { try await resolver.addressInfo(AddressInfoRequest(name: "1.2.3.4", service: "no-such-service")) } == .typeNotFound)
        #expect(await errorCode {
            try await resolver.addressInfo(AddressInfoRequest(name: "1.2.3.4", service: "ssh", flags: .numericService))
        } == .hostNotFound)
        #expect(await errorCode {
            try await resolver.addressInfo(AddressInfoRequest(name: "1.2.3.4", service: "80", socketType: .raw))
        } == .typeNotFound)
        #expect(await errorCode {
            try await resolver.addressInfo(AddressInfoRequest(name: "1.2.3.4", socketType: .stream, transport: .udp))
        } == .socketTypeNotSupported)
    }

    @Test func badNamesAreRejected() async throws {
        let resolver = try Fixtures.unboundResolver()
        let names = ["", String(repeating: "a", count: 254), String(repeating: "b", count: 64) + ".test", "bad\u{1}name.test", "a..b"]
        for name in names {
            #expect(await errorCode { try await resolver.addressInfo(AddressInfoRequest(name: name)) } == .invalidArgument, "\(name)")
        }
    }

    @Test func nonexistentNameIsHostNotFound() async throws {
        let resolver = try Fixtures.unboundResolver()
        #expect(await errorCode { try await resolver.addressInfo(AddressInfoRequest(name: "nxdomain.example.test")) } == .hostNotFound)
    }

    @Test func literalsAndHostsFileNeedNoDNS() async throws {
        // An upstream that counts queries: none may reach it.
        let upstream = try FailingUpstream.start()
        defer { upstream.stop() }
        let hosts = Fixtures.temporaryFile("192.0.2.200 myhost.local myalias\n2001:db8::200 myhost.local\n")
        let resolver = try Fixtures.resolver(upstream: upstream.serverAddress, timeoutPerTry: .milliseconds(200), tries: 1, hostsFile: hosts)
        let v4 = try await resolver.addressInfo(AddressInfoRequest(name: "127.0.0.1", socketType: .stream))
        #expect(v4.addresses.map(\.address) == ["127.0.0.1"])
        let v6 = try await resolver.addressInfo(AddressInfoRequest(name: "::1", socketType: .stream, flags: .canonicalName))
        #expect(v6.addresses.map(\.address) == ["::1"])
        #expect(v6.canonicalName == "::1")
        let fromHosts = try await resolver.addressInfo(AddressInfoRequest(name: "MyAlias", family: .inet, socketType: .stream, flags: .canonicalName))
        #expect(fromHosts.addresses.map(\.address) == ["192.0.2.200"])
        #expect(fromHosts.canonicalName == "myhost.local")
        #expect(await errorCode { try await resolver.addressInfo(AddressInfoRequest(name: "::1", family: .inet)) } == .hostNotFound)
        #expect(await errorCode {
            try await resolver.addressInfo(AddressInfoRequest(name: "www.example.test", flags: .numericHost))
        } == .hostNotFound)
        #expect(upstream.queriesReceived == 0)
    }

    @Test func upstreamFailuresMapToWindowsCodes() async throws {
        let servfail = try FailingUpstream.start(failure: .serverFailure)
        let refused = try FailingUpstream.start(failure: .refused)
        let r1 = try Fixtures.resolver(upstream: servfail.serverAddress, timeoutPerTry: .milliseconds(300), tries: 1)
        let r2 = try Fixtures.resolver(upstream: refused.serverAddress, timeoutPerTry: .milliseconds(300), tries: 1)
        #expect(await errorCode { try await r1.addressInfo(AddressInfoRequest(name: "x.example.test")) } == .tryAgain)
        let refusedCode = await errorCode { try await r2.query("x.example.test", type: .a) }
        #expect(refusedCode == .noRecovery)
        #expect(servfail.queriesReceived > 0)
    }

    @Test func timeoutsAreDistinguished() async throws {
        let silent = try SilentUpstream.start()
        let resolver = try Fixtures.resolver(upstream: silent.serverAddress, timeoutPerTry: .milliseconds(100), tries: 1)
        // c-ares gave up (its own per-try timeout): a temporary failure.
        #expect(await errorCode { try await resolver.addressInfo(AddressInfoRequest(name: "a.example.test")) } == .tryAgain)
        // The lookup's own timeout: WSAETIMEDOUT.
        let slow = try Fixtures.resolver(upstream: silent.serverAddress, timeoutPerTry: .seconds(5), tries: 1)
        #expect(await errorCode {
            try await slow.addressInfo(AddressInfoRequest(name: "b.example.test", timeout: .milliseconds(100)))
        } == .timedOut)
    }
}
