import ArgumentParser
import ResolverClient

struct GetAddrInfo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "getaddrinfo",
        abstract: "Resolve a name (and service) to addresses."
    )

    @Argument(help: "The host name or numeric address.") var name: String
    @Option(help: "A service name or port number.") var service: String?
    @Option(help: "unspec, inet or inet6.") var family: AddressFamily = .unspecified
    @Option(help: "stream, dgram or raw.") var socktype: SocketType?
    @Option(help: "tcp or udp.") var `protocol`: TransportProtocol?
    @Option(
        name: .customLong("flag"),
        help: "canonname, numerichost, numericserv, addrconfig, v4mapped or all; repeat for several."
    )
    var flags: [FlagArgument<AddressInfoFlags>] = []
    @OptionGroup var timeout: TimeoutOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        let request = AddressInfoRequest(
            name: name, service: service, family: family, socketType: socktype, transport: `protocol`,
            flags: flags.union(), timeout: timeout.timeout)
        try await Session(connection: root.options, cancel: cancel).run(.lookup(.addressInfo(request)))
    }
}

struct GetNameInfo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "getnameinfo",
        abstract: "Map an address (and port) to a host and service name."
    )

    @Argument(help: "An IPv4 or IPv6 address.") var address: String
    @Option(help: "The port number.") var port: UInt16 = 0
    @Option(
        name: .customLong("flag"),
        help: "namereqd, numerichost, numericserv, nofqdn or dgram; repeat for several."
    )
    var flags: [FlagArgument<NameInfoFlags>] = []
    @OptionGroup var timeout: TimeoutOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        let request = NameInfoRequest(address: address, port: port, flags: flags.union(), timeout: timeout.timeout)
        try await Session(connection: root.options, cancel: cancel).run(.lookup(.nameInfo(request)))
    }
}

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Look up DNS records of one type, e.g. `resolvdctl query SRV _http._tcp.example.com`."
    )

    @Argument(help: "A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA or NAPTR.") var type: DNSRecordType
    @Argument(help: "The owner name.") var name: String
    @OptionGroup var timeout: TimeoutOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options, cancel: cancel)
            .run(.lookup(.query(name: name, type: type, timeout: timeout.timeout)))
    }
}
