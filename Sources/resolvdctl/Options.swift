import ArgumentParser

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
}

/// `--buflen`, for the WSAAsyncGetXByY ops.
struct BufferOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The caller's buffer length in bytes (buflen).", valueName: "bytes"))
    var buflen: Int?
}
