import ArgumentParser
import ResolverClient

struct HostByName: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostbyname",
        abstract: "Look up a host entry by name (WSAAsyncGetHostByName)."
    )

    @Argument(help: "The host name.") var name: String
    @Option(help: "unspec, inet or inet6.") var family: String?
    @OptionGroup var buffer: BufferOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        var params: [String: JSONValue] = ["name": .string(name)]
        params["family"] = family.map(JSONValue.string)
        params["buflen"] = buffer.buflen.map { .integer(Int64($0)) }
        try await Session(connection: root.options, cancel: cancel)
            .run(op: "gethostbyname", params: params, format: ResultFormatter.hostEntry)
    }
}

struct HostByAddress: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostbyaddr",
        abstract: "Look up a host entry by address (WSAAsyncGetHostByAddr)."
    )

    @Argument(help: "An IPv4 or IPv6 address.") var address: String
    @OptionGroup var buffer: BufferOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        var params: [String: JSONValue] = ["address": .string(address)]
        params["buflen"] = buffer.buflen.map { .integer(Int64($0)) }
        try await Session(connection: root.options, cancel: cancel)
            .run(op: "gethostbyaddr", params: params, format: ResultFormatter.hostEntry)
    }
}

struct ServiceByName: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servbyname",
        abstract: "Look up a service entry by name (WSAAsyncGetServByName)."
    )

    @Argument(help: "The service name.") var name: String
    @Option(help: "The protocol, such as tcp or udp.") var proto: String?
    @OptionGroup var buffer: BufferOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        var params: [String: JSONValue] = ["name": .string(name)]
        params["proto"] = proto.map(JSONValue.string)
        params["buflen"] = buffer.buflen.map { .integer(Int64($0)) }
        try await Session(connection: root.options, cancel: cancel)
            .run(op: "getservbyname", params: params, format: ResultFormatter.serviceEntry)
    }
}

struct ServiceByPort: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servbyport",
        abstract: "Look up a service entry by port (WSAAsyncGetServByPort)."
    )

    @Argument(help: "The port number.") var port: Int
    @Option(help: "The protocol, such as tcp or udp.") var proto: String?
    @OptionGroup var buffer: BufferOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        var params: [String: JSONValue] = ["port": .integer(Int64(port))]
        params["proto"] = proto.map(JSONValue.string)
        params["buflen"] = buffer.buflen.map { .integer(Int64($0)) }
        try await Session(connection: root.options, cancel: cancel)
            .run(op: "getservbyport", params: params, format: ResultFormatter.serviceEntry)
    }
}

struct ProtocolByName: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protobyname",
        abstract: "Look up a protocol entry by name (WSAAsyncGetProtoByName)."
    )

    @Argument(help: "The protocol name.") var name: String
    @OptionGroup var buffer: BufferOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        var params: [String: JSONValue] = ["name": .string(name)]
        params["buflen"] = buffer.buflen.map { .integer(Int64($0)) }
        try await Session(connection: root.options, cancel: cancel)
            .run(op: "getprotobyname", params: params, format: ResultFormatter.protocolEntry)
    }
}

struct ProtocolByNumber: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protobynumber",
        abstract: "Look up a protocol entry by number (WSAAsyncGetProtoByNumber)."
    )

    @Argument(help: "The protocol number.") var number: Int
    @OptionGroup var buffer: BufferOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        var params: [String: JSONValue] = ["number": .integer(Int64(number))]
        params["buflen"] = buffer.buflen.map { .integer(Int64($0)) }
        try await Session(connection: root.options, cancel: cancel)
            .run(op: "getprotobynumber", params: params, format: ResultFormatter.protocolEntry)
    }
}
