import ArgumentParser
import ResolverClient

struct GetAddrInfo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "getaddrinfo",
        abstract: "Resolve a name (and service) to addresses."
    )

    @Argument(help: "The host name or numeric address.") var name: String
    @Option(help: "A service name or port number.") var service: String?
    @Option(help: "unspec, inet or inet6.") var family: String?
    @Option(help: "stream, dgram or raw.") var socktype: String?
    @Option(help: "tcp or udp.") var `protocol`: String?
    @Option(
        name: .customLong("flag"),
        help: "canonname, numerichost, numericserv, addrconfig, v4mapped or all; repeat for several."
    )
    var flags: [String] = []
    @OptionGroup var timeout: TimeoutOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        var params: [String: JSONValue] = ["name": .string(name)]
        params["service"] = service.map(JSONValue.string)
        params["family"] = family.map(JSONValue.string)
        params["socktype"] = socktype.map(JSONValue.string)
        params["protocol"] = `protocol`.map(JSONValue.string)
        if !flags.isEmpty { params["flags"] = .array(flags.map(JSONValue.string)) }
        params["timeout_ms"] = timeout.timeoutMilliseconds.map { .integer(Int64($0)) }
        try await Session(connection: root.options, cancel: cancel)
            .run(op: "getaddrinfo", params: params, format: ResultFormatter.addressInfo)
    }
}

struct GetNameInfo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "getnameinfo",
        abstract: "Map an address (and port) to a host and service name."
    )

    @Argument(help: "An IPv4 or IPv6 address.") var address: String
    @Option(help: "The port number.") var port: Int?
    @Option(
        name: .customLong("flag"),
        help: "namereqd, numerichost, numericserv, nofqdn or dgram; repeat for several."
    )
    var flags: [String] = []
    @OptionGroup var timeout: TimeoutOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        var params: [String: JSONValue] = ["address": .string(address)]
        params["port"] = port.map { .integer(Int64($0)) }
        if !flags.isEmpty { params["flags"] = .array(flags.map(JSONValue.string)) }
        params["timeout_ms"] = timeout.timeoutMilliseconds.map { .integer(Int64($0)) }
        try await Session(connection: root.options, cancel: cancel)
            .run(op: "getnameinfo", params: params, format: ResultFormatter.nameInfo)
    }
}

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Look up DNS records of one type, e.g. `resolvdctl query SRV _http._tcp.example.com`."
    )

    @Argument(help: "A, AAAA, CNAME, MX, NS, PTR, SOA, SRV, TXT, CAA or NAPTR.") var type: String
    @Argument(help: "The owner name.") var name: String
    @OptionGroup var timeout: TimeoutOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        var params: [String: JSONValue] = ["name": .string(name), "type": .string(type.uppercased())]
        params["timeout_ms"] = timeout.timeoutMilliseconds.map { .integer(Int64($0)) }
        try await Session(connection: root.options, cancel: cancel)
            .run(op: "query", params: params, format: ResultFormatter.records)
    }
}
