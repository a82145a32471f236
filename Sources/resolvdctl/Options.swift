import ArgumentParser
import ResolverClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where to connect and how to print; every subcommand has these.
struct ConnectionOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "resolvd's Unix socket (default: $RESOLVD_SOCKET, else /run/resolvd/resolvd.sock if it exists, else ./run/resolvd.sock).",
            valueName: "path"
        )
    )
    var socket: String?

    @Flag(name: .long, help: "Print each reply line exactly as received.")
    var json = false

    /// The socket path, with the defaults applied.
    var socketPath: String {
        if let socket { return socket }
        if let environment = getenv("RESOLVD_SOCKET"), let path = String(validatingCString: environment), !path.isEmpty {
            return path
        }
        if access("/run/resolvd/resolvd.sock", F_OK) == 0 { return "/run/resolvd/resolvd.sock" }
        return "./run/resolvd.sock"
    }
}

/// Cancelling a lookup mid-flight; the lookup subcommands have these.
struct CancelOptions: ParsableArguments {
    @Option(
        name: .customLong("cancel-after"),
        help: ArgumentHelp(
            "Send the lookup, then after <ms> milliseconds cancel it, and print both replies in arrival order.",
            valueName: "ms"
        )
    )
    var cancelAfterMilliseconds: Int?

    @Option(
        name: .customLong("cancel-op"),
        help: "The op --cancel-after sends: cancel (GetAddrInfoExCancel) or cancel_async_request (WSACancelAsyncRequest)."
    )
    var cancelOp: CancelOp = .cancel

    enum CancelOp: String, ExpressibleByArgument, CaseIterable {
        case cancel
        case cancelAsyncRequest = "cancel_async_request"

        /// The request that cancels the lookup `handle`.
        func command(handle: Int64) -> Request.Command {
            switch self {
            case .cancel: .cancel(handle: handle)
            case .cancelAsyncRequest: .cancelAsyncRequest(handle: handle)
            }
        }
    }

    func validate() throws {
        if let cancelAfterMilliseconds, cancelAfterMilliseconds < 0 {
            throw ValidationError("--cancel-after must not be negative")
        }
    }
}

/// `--timeout-ms`, for the ops that take `timeout_ms`.
struct TimeoutOption: ParsableArguments {
    @Option(name: .customLong("timeout-ms"), help: ArgumentHelp("The lookup's timeout_ms.", valueName: "ms"))
    var timeoutMilliseconds: Int?

    var timeout: Duration? { timeoutMilliseconds.map { .milliseconds($0) } }
}

/// `--buflen`, for the WSAAsyncGetXByY ops.
struct BufferOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The caller's buffer length in bytes (buflen).", valueName: "bytes"))
    var buflen: Int = WindowsBufferLayout.defaultBufferLength
}

// The protocol's words as command-line arguments, spelled as on the wire.
extension AddressFamily: ExpressibleByArgument {}
extension SocketType: ExpressibleByArgument {}
extension TransportProtocol: ExpressibleByArgument {}

extension DNSRecordType: ExpressibleByArgument {
    /// `mx` as well as `MX`.
    public init?(argument: String) {
        self.init(rawValue: argument.uppercased())
    }
}

/// Flags with wire names: getaddrinfo's and getnameinfo's.
protocol WireFlags: OptionSet, Sendable where Element == Self {
    static var wireNames: [(name: String, flag: Self)] { get }
}

extension AddressInfoFlags: WireFlags {}
extension NameInfoFlags: WireFlags {}

/// One `--flag` value, by its wire name.
struct FlagArgument<Flags: WireFlags>: ExpressibleByArgument {
    var flag: Flags

    init?(argument: String) {
        guard let flag = Flags.wireNames.first(where: { $0.name == argument })?.flag else { return nil }
        self.flag = flag
    }

    static var allValueStrings: [String] { Flags.wireNames.map(\.name) }
}

extension Array {
    /// The flags of a repeated `--flag` option, as one set.
    func union<Flags>() -> Flags where Element == FlagArgument<Flags> {
        reduce(into: []) { $0.insert($1.flag) }
    }
}
