import ArgumentParser
import ResolverClient

struct HostByName: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostbyname",
        abstract: "Look up a host entry by name (WSAAsyncGetHostByName)."
    )

    @Argument(help: "The host name.") var name: String
    @Option(help: "unspec, inet or inet6.") var family: AddressFamily = LookupRequest.defaultHostFamily
    @OptionGroup var buffer: BufferOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options, cancel: cancel)
            .run(.lookup(.hostByName(name: name, family: family, bufferLength: buffer.buflen, timeout: nil)))
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
        try await Session(connection: root.options, cancel: cancel)
            .run(.lookup(.hostByAddress(address: address, bufferLength: buffer.buflen, timeout: nil)))
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
        try await Session(connection: root.options, cancel: cancel)
            .run(.lookup(.serviceByName(name: name, proto: proto, bufferLength: buffer.buflen)))
    }
}

struct ServiceByPort: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servbyport",
        abstract: "Look up a service entry by port (WSAAsyncGetServByPort)."
    )

    @Argument(help: "The port number.") var port: UInt16
    @Option(help: "The protocol, such as tcp or udp.") var proto: String?
    @OptionGroup var buffer: BufferOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options, cancel: cancel)
            .run(.lookup(.serviceByPort(port: port, proto: proto, bufferLength: buffer.buflen)))
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
        try await Session(connection: root.options, cancel: cancel)
            .run(.lookup(.protocolByName(name: name, bufferLength: buffer.buflen)))
    }
}

struct ProtocolByNumber: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protobynumber",
        abstract: "Look up a protocol entry by number (WSAAsyncGetProtoByNumber)."
    )

    @Argument(help: "The protocol number.") var number: Int32
    @OptionGroup var buffer: BufferOption
    @OptionGroup var cancel: CancelOptions
    @ParentCommand var root: Resolvdctl

    func run() async throws {
        try await Session(connection: root.options, cancel: cancel)
            .run(.lookup(.protocolByNumber(number: number, bufferLength: buffer.buflen)))
    }
}
