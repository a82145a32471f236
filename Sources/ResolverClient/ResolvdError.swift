/// A failure reply from resolvd: a non-zero status with its symbol and message.
///
/// The typed convenience methods of ``ResolvdConnection`` throw this; the low-level
/// ``ResolvdConnection/request(op:params:)`` returns the ``Reply`` instead. Transport
/// problems (a closed connection, a malformed line) are ``ResolvdConnectionError``.
public struct ResolvdError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The Windows result code, such as 11001.
    public var status: Int32
    /// The Windows symbol, such as `WSAHOST_NOT_FOUND`.
    public var symbol: String
    /// The daemon's human-readable text.
    public var message: String
    /// For WSAENOBUFS (10055), the buffer length that would have been enough, if known.
    public var required: Int?

    public init(status: Int32, symbol: String, message: String, required: Int? = nil) {
        self.status = status
        self.symbol = symbol
        self.message = message
        self.required = required
    }

    /// The failure a reply reports.
    public init(reply: Reply) {
        self.init(status: reply.status, symbol: reply.symbol, message: reply.message ?? "", required: reply.required)
    }

    /// `WSAHOST_NOT_FOUND (11001): message`.
    public var description: String {
        message.isEmpty ? "\(symbol) (\(status))" : "\(symbol) (\(status)): \(message)"
    }

    /// The symbol protocol v1 uses for `status`, or `UNKNOWN_<status>`.
    public static func symbol(forStatus status: Int32) -> String {
        symbols[status] ?? "UNKNOWN_\(status)"
    }

    private static let symbols: [Int32: String] = [
        0: "NO_ERROR",
        6: "WSA_INVALID_HANDLE",
        8: "WSA_NOT_ENOUGH_MEMORY",
        995: "ERROR_OPERATION_ABORTED",
        1168: "ERROR_NOT_FOUND",
        10022: "WSAEINVAL",
        10037: "WSAEALREADY",
        10044: "WSAESOCKTNOSUPPORT",
        10047: "WSAEAFNOSUPPORT",
        10055: "WSAENOBUFS",
        10060: "WSAETIMEDOUT",
        10109: "WSATYPE_NOT_FOUND",
        10111: "WSA_E_CANCELLED",
        11001: "WSAHOST_NOT_FOUND",
        11002: "WSATRY_AGAIN",
        11003: "WSANO_RECOVERY",
        11004: "WSANO_DATA",
    ]
}

extension ResolvdError {
    /// The status codes of protocol v1, by meaning, for comparing with ``Reply/status``.
    public enum Status {
        public static let noError: Int32 = 0
        public static let invalidHandle: Int32 = 6
        public static let notEnoughMemory: Int32 = 8
        public static let operationAborted: Int32 = 995
        public static let notFound: Int32 = 1168
        public static let invalidArgument: Int32 = 10022
        /// WSAEALREADY: WSACancelAsyncRequest on a lookup that has already finished.
        public static let alreadyFinished: Int32 = 10037
        public static let socketTypeNotSupported: Int32 = 10044
        public static let addressFamilyNotSupported: Int32 = 10047
        public static let noBufferSpace: Int32 = 10055
        public static let timedOut: Int32 = 10060
        public static let typeNotFound: Int32 = 10109
        public static let cancelled: Int32 = 10111
        public static let hostNotFound: Int32 = 11001
        public static let tryAgain: Int32 = 11002
        public static let noRecovery: Int32 = 11003
        public static let noData: Int32 = 11004
    }
}
