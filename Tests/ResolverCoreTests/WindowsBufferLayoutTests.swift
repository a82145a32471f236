import Testing
@testable import ResolverCore

@Suite struct WindowsBufferLayoutTests {
    @Test func hostentWithOneIPv4Address() {
        let entry = HostEntry(name: "localhost", aliases: [], family: .inet, addresses: ["127.0.0.1"])
        // 32 hostent + (0 + 1) alias pointers * 8 + (1 + 1) address pointers * 8
        // + 1 * 4 address bytes + "localhost\0" 10 = 32 + 8 + 16 + 4 + 10 = 70
        #expect(WindowsBufferLayout.requiredLength(for: entry) == 70)
    }

    @Test func hostentWithAliasesAndIPv6Addresses() {
        let entry = HostEntry(
            name: "www.example.com",
            aliases: ["example.com"],
            family: .inet6,
            addresses: ["2001:db8::1", "2001:db8::2"]
        )
        // 32 + (1 + 1) * 8 + (2 + 1) * 8 + 2 * 16 + "www.example.com\0" 16 + "example.com\0" 12
        // = 32 + 16 + 24 + 32 + 16 + 12 = 132
        #expect(WindowsBufferLayout.requiredLength(for: entry) == 132)
    }

    @Test func hostentWithUnspecifiedFamilyCountsEachAddress() {
        let entry = HostEntry(name: "a", aliases: [], family: .unspecified, addresses: ["192.0.2.1", "2001:db8::1"])
        // 32 + 1 * 8 + 3 * 8 + 4 + 16 + "a\0" 2 = 86
        #expect(WindowsBufferLayout.requiredLength(for: entry) == 86)
    }

    @Test func serventCountsTheProtocolString() {
        let http = ServiceEntry(name: "http", aliases: ["www"], port: 80, proto: "tcp")
        // 32 servent + (1 + 1) * 8 + "http\0" 5 + "www\0" 4 + "tcp\0" 4 = 32 + 16 + 13 = 61
        #expect(WindowsBufferLayout.requiredLength(for: http) == 61)
        let ssh = ServiceEntry(name: "ssh", aliases: [], port: 22, proto: "tcp")
        // 32 + 1 * 8 + "ssh\0" 4 + "tcp\0" 4 = 48
        #expect(WindowsBufferLayout.requiredLength(for: ssh) == 48)
    }

    @Test func protoent() {
        let tcp = ProtocolEntry(name: "tcp", aliases: ["TCP"], number: 6)
        // 24 protoent + (1 + 1) * 8 + "tcp\0" 4 + "TCP\0" 4 = 24 + 16 + 8 = 48
        #expect(WindowsBufferLayout.requiredLength(for: tcp) == 48)
        let ipv6 = ProtocolEntry(name: "ipv6-icmp", aliases: ["IPv6-ICMP"], number: 58)
        // 24 + 16 + "ipv6-icmp\0" 10 + "IPv6-ICMP\0" 10 = 60
        #expect(WindowsBufferLayout.requiredLength(for: ipv6) == 60)
    }

    @Test func manyAddressesExceedMaxGetHostStruct() throws {
        let addresses = (1...100).map { "192.0.2.\($0)" }
        let entry = HostEntry(name: "big.example", aliases: [], family: .inet, addresses: addresses)
        // 32 + (0 + 1) * 8 + (100 + 1) * 8 + 100 * 4 + "big.example\0" 12
        // = 32 + 8 + 808 + 400 + 12 = 1260
        let required = WindowsBufferLayout.requiredLength(for: entry)
        #expect(required == 1260)
        let error = try #require(WindowsBufferLayout.check(required, bufferLength: WindowsBufferLayout.defaultBufferLength))
        #expect(error.code == .noBufferSpace)
        #expect(error.requiredBufferLength == 1260)
        #expect(WindowsBufferLayout.check(required, bufferLength: 1260) == nil)
    }

    @Test func checkBoundaries() {
        #expect(WindowsBufferLayout.defaultBufferLength == 1024)
        #expect(WindowsBufferLayout.check(1024, bufferLength: 1024) == nil)
        #expect(WindowsBufferLayout.check(1025, bufferLength: 1024) == .bufferTooSmall(required: 1025, bufferLength: 1024))
        #expect(WindowsBufferLayout.check(70, bufferLength: 69)?.requiredBufferLength == 70)
    }
}
