import ResolverTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import ResolverCore

@Suite struct NameInfoTests {
    @Test func reverseLookupWithServiceNames() async throws {
        let resolver = try Fixtures.unboundResolver()
        let info = try await resolver.nameInfo(NameInfoRequest(address: "192.0.2.10", port: 22))
        #expect(info.host == "www.example.test")
        // Debian's /etc/services (netbase) names both ports; literals, not the parser under test.
        #expect(info.service == "ssh")
        let v6 = try await resolver.nameInfo(NameInfoRequest(address: "2001:db8::10", port: 53, flags: .datagram))
        #expect(v6.host == "www.example.test")
        #expect(v6.service == "domain")
    }

    /// A PTR query answered SERVFAIL, or not at all, is a temporary failure — with or
    /// without `namereqd`, for getnameinfo and gethostbyaddr alike, as glibc's EAI_AGAIN and
    /// TRY_AGAIN — never "no such name".
    @Test func failedReverseLookupIsTryAgain() async throws {
        let failing = try FailingUpstream.start(failure: .serverFailure)
        defer { failing.stop() }
        let silent = try SilentUpstream.start()
        defer { silent.stop() }
        var probesOfFailing = 0
        for upstream in [failing.serverAddress, silent.serverAddress] {
            let resolver = try Fixtures.resolver(upstream: upstream, timeoutPerTry: .milliseconds(200), tries: 1)
            for address in ["192.0.2.10", "2001:db8::10"] {
                #expect(await errorCode { try await resolver.nameInfo(NameInfoRequest(address: address, flags: .nameRequired)) } == .tryAgain)
                #expect(await errorCode { try await resolver.nameInfo(NameInfoRequest(address: address)) } == .tryAgain)
                #expect(await errorCode { try await resolver.hostByAddress(address) } == .tryAgain, "\(upstream) \(address)")
            }
            resolver.shutdown()  // the prober stops: no probe is counted but not yet received, none comes later
            if upstream == failing.serverAddress { probesOfFailing = resolver.upstreamStatuses[0].probes }
        }
        // One query per lookup, besides the prober's checks that its SERVFAILs asked for.
        #expect(failing.queriesReceived - probesOfFailing == 6, "\(failing.queriesReceived) queries, \(probesOfFailing) probes")
    }

    /// An answer without a PTR record (the name exists, the record does not) is "no name".
    @Test func reverseNameWithoutPTRIsHostNotFound() async throws {
        let resolver = try Fixtures.unboundResolver()
        // 30.2.0.192.in-addr.arpa exists (a TXT record) but has no PTR: NOERROR, no answer.
        #expect(await errorCode { try await resolver.hostByAddress("192.0.2.30") } == .hostNotFound)
        #expect(await errorCode { try await resolver.nameInfo(NameInfoRequest(address: "192.0.2.30", flags: .nameRequired)) } == .hostNotFound)
        #expect(try await resolver.nameInfo(NameInfoRequest(address: "192.0.2.30")).host == "192.0.2.30")
    }

    @Test func numericFlags() async throws {
        let resolver = try Fixtures.unboundResolver()
        let info = try await resolver.nameInfo(NameInfoRequest(address: "192.0.2.10", port: 22, flags: [.numericHost, .numericService]))
        #expect(info == NameInfo(host: "192.0.2.10", service: "22"))
    }

    @Test func noNameFallsBackToNumericUnlessRequired() async throws {
        let resolver = try Fixtures.unboundResolver()
        let info = try await resolver.nameInfo(NameInfoRequest(address: "192.0.2.77", port: 1))
        #expect(info.host == "192.0.2.77")
        #expect(await errorCode { try await resolver.nameInfo(NameInfoRequest(address: "192.0.2.77", flags: .nameRequired)) } == .hostNotFound)
    }

    @Test func noFQDNStripsTheLocalDomain() async throws {
        let resolver = try Fixtures.unboundResolver(localDomain: "example.test")
        let info = try await resolver.nameInfo(NameInfoRequest(address: "192.0.2.20", flags: .noFQDN))
        #expect(info.host == "v4only")
        let full = try await resolver.nameInfo(NameInfoRequest(address: "192.0.2.20"))
        #expect(full.host == "v4only.example.test")
    }

    @Test func badAddressIsInvalid() async throws {
        let resolver = try Fixtures.unboundResolver()
        #expect(await errorCode { try await resolver.nameInfo(NameInfoRequest(address: "www.example.test")) } == .invalidArgument)
    }
}

@Suite struct QueryTests {
    @Test func everyRecordTypeParsesWithTTL() async throws {
        let resolver = try Fixtures.unboundResolver()
        func records(_ name: String, _ type: DNSRecordType) async throws -> [DNSRecordData] {
            let answer = try await resolver.query(name, type: type)
            #expect(answer.records.allSatisfy { $0.ttl > 0 }, "\(name) \(type)")
            return answer.records.map(\.data)
        }
        #expect(try await records("www.example.test", .a) == [.a(address: "192.0.2.10")])
        #expect(try await records("www.example.test", .aaaa) == [.aaaa(address: "2001:db8::10")])
        #expect(try await records("alias.example.test", .cname) == [.cname(target: "www.example.test")])
        #expect(try await records("mail.example.test", .mx).sorted { "\($0)" < "\($1)" } == [
            .mx(preference: 10, exchange: "mx1.example.test"), .mx(preference: 20, exchange: "mx2.example.test"),
        ])
        #expect(try await records("example.test", .ns) == [.ns(target: "ns.example.test")])
        #expect(try await records("10.2.0.192.in-addr.arpa", .ptr) == [.ptr(target: "www.example.test")])
        #expect(try await records("_http._tcp.example.test", .srv) == [.srv(priority: 10, weight: 60, port: 8080, target: "www.example.test")])
        #expect(try await records("txt.example.test", .txt) == [.txt(strings: ["hello world", "second string"])])
        #expect(try await records("caa.example.test", .caa) == [.caa(critical: false, tag: "issue", value: "ca.example.net")])
        #expect(try await records("naptr.example.test", .naptr) == [
            .naptr(order: 100, preference: 10, flags: "S", service: "SIP+D2U", regexp: "", replacement: "_sip._udp.example.test"),
        ])
        let soa = try await records("example.test", .soa)
        #expect(soa == [.soa(mname: "ns.example.test", rname: "hostmaster.example.test", serial: 2026112101, refresh: 3600, retry: 600, expire: 86400, minimum: 60)])
    }

    @Test func aCNAMEChainComesFirst() async throws {
        let resolver = try Fixtures.unboundResolver()
        let answer = try await resolver.query("chain.example.test", type: .a)
        #expect(answer.records.map(\.type) == [.cname, .cname, .a])
        #expect(answer.records.last?.data == .a(address: "192.0.2.10"))
    }

    @Test func negativeAnswers() async throws {
        let resolver = try Fixtures.unboundResolver()
        #expect(await errorCode { try await resolver.query("nxdomain.example.test", type: .a) } == .hostNotFound)
        #expect(await errorCode { try await resolver.query("v4only.example.test", type: .aaaa) } == .noData)
        #expect(await errorCode { try await resolver.query("bad..name", type: .a) } == .invalidArgument)
    }

    @Test func wildcardAnswersManyNames() async throws {
        let resolver = try Fixtures.unboundResolver()
        for index in 0..<20 {
            let answer = try await resolver.query("host\(index).wild.example.test", type: .a)
            #expect(answer.records.map(\.data) == [.a(address: "192.0.2.99")])
        }
    }
}

@Suite struct HostEntryTests {
    @Test func hostByNameDefaultsToIPv4() async throws {
        let resolver = try Fixtures.unboundResolver()
        let host = try await resolver.hostByName("www.example.test")
        #expect(host.name == "www.example.test" && host.aliases.isEmpty && host.family == .inet)
        #expect(host.addresses == ["192.0.2.10"])
        #expect((host.ttl ?? 0) > 0 && (host.ttl ?? 0) <= 300)
        let v6 = try await resolver.hostByName("www.example.test", family: .inet6)
        #expect(v6.addresses == ["2001:db8::10"])
        let multi = try await resolver.hostByName("multi.example.test")
        #expect(multi.addresses.sorted() == ["192.0.2.41", "192.0.2.42"])
        #expect(await errorCode { try await resolver.hostByName("nxdomain.example.test") } == .hostNotFound)
    }

    @Test func bufferTooSmallReportsTheLengthNeeded() async throws {
        let resolver = try Fixtures.unboundResolver()
        // 40 IPv4 addresses: 32 (hostent) + 8 (aliases NULL) + 41 × 8 (address pointers)
        // + 40 × 4 (addresses) + 17 ("big.example.test\0") = 545 bytes.
        let fits = try await resolver.hostByName("big.example.test")
        #expect(WindowsBufferLayout.requiredLength(for: fits) == 545)
        do {
            _ = try await resolver.hostByName("big.example.test", bufferLength: 544)
            Issue.record("545 bytes must not fit 544")
        } catch let error as ResolverError {
            #expect(error.code == .noBufferSpace)
            let required = try #require(error.requiredBufferLength)
            #expect(required == 545)
            let host = try await resolver.hostByName("big.example.test", bufferLength: required)
            #expect(host.addresses.count == 40)
            #expect(WindowsBufferLayout.requiredLength(for: host) == required)
        }
        #expect(await errorCode { try await resolver.serviceByName("ssh", bufferLength: 8) } == .noBufferSpace)
    }

    @Test func hostByAddress() async throws {
        let resolver = try Fixtures.unboundResolver()
        let host = try await resolver.hostByAddress("192.0.2.10")
        #expect(host.name == "www.example.test")
        #expect(host.addresses == ["192.0.2.10"])
        #expect(await errorCode { try await resolver.hostByAddress("192.0.2.77") } == .hostNotFound)
        #expect(await errorCode { try await resolver.hostByAddress("not-an-address") } == .invalidArgument)
    }

    @Test func servicesAndProtocolsAsynchronously() async throws {
        let resolver = try Fixtures.unboundResolver()
        let ssh = try await resolver.serviceByName("ssh", proto: "tcp")
        #expect(ssh.port == 22 && ssh.proto == "tcp")
        let byPort = try await resolver.serviceByPort(22, proto: "tcp")
        #expect(byPort.name == "ssh")
        let tcp = try await resolver.protocolByName("tcp")
        #expect(tcp.number == 6)
        let udp = try await resolver.protocolByNumber(17)
        #expect(udp.name == "udp")
        #expect(await errorCode { try await resolver.serviceByName("no-such-service") } == .noData)
        #expect(await errorCode { try await resolver.protocolByNumber(9999) } == .noData)
    }
}

@Suite struct DatabaseReloadTests {
    @Test func changedHostsFileIsReadAgainOnlyWhenItChanges() async throws {
        let hosts = Fixtures.temporaryFile("192.0.2.201 first.local\n")
        let resolver = try Fixtures.resolver(upstream: "127.0.0.1:9", hostsFile: hosts)
        #expect(try await resolver.hostByName("first.local").addresses == ["192.0.2.201"])
        #expect(try resolver.reloadDatabasesIfChanged() == false)
        usleep(10_000)
        let replacement = Fixtures.temporaryFile("192.0.2.202 first.local\n")
        rename(replacement, hosts)  // a new inode, as editors and package managers write files
        #expect(try resolver.reloadDatabasesIfChanged() == true)
        #expect(try await resolver.hostByName("first.local").addresses == ["192.0.2.202"])
    }
}
