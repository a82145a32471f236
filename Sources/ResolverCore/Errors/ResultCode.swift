/// A Windows result code, as GetAddrInfoEx, WSAAsyncGetXByY, GetAddrInfoExCancel,
/// WSACancelAsyncRequest and CancelIoEx report them.
///
/// `ResultCode` is only the number and its symbol. What a failed lookup says about
/// *why* it failed lives in ``ResolverError``, which carries a `ResultCode`.
/// The full table, with where each code comes from, is in `docs/error-codes.md`.
public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The Windows symbol, such as `WSA_E_CANCELLED`; `UNKNOWN_<n>` for a number outside the table.
    public var symbol: String {
        Self.symbols[rawValue] ?? "UNKNOWN_\(rawValue)"
    }

    public var description: String { "\(symbol) (\(rawValue))" }

    /// Every code resolvd reports, in the order of the table in the docs.
    public static let all: [ResultCode] = [
        .noError, .invalidHandle, .notEnoughMemory, .operationAborted, .notFound,
        .accessDenied, .invalidArgument, .alreadyInProgress, .socketTypeNotSupported, .addressFamilyNotSupported,
        .noBufferSpace, .timedOut, .typeNotFound, .cancelled, .hostNotFound, .tryAgain,
        .noRecovery, .noData,
    ]

    /// NO_ERROR (0): success.
    public static let noError = ResultCode(rawValue: 0)
    /// WSA_INVALID_HANDLE (6): GetAddrInfoExCancel on a handle that is not pending.
    public static let invalidHandle = ResultCode(rawValue: 6)
    /// WSA_NOT_ENOUGH_MEMORY (8): c-ares ran out of memory.
    public static let notEnoughMemory = ResultCode(rawValue: 8)
    /// ERROR_OPERATION_ABORTED (995): cancel-all (CancelIoEx with NULL) or shutdown.
    public static let operationAborted = ResultCode(rawValue: 995)
    /// ERROR_NOT_FOUND (1168): cancel-all found nothing pending.
    public static let notFound = ResultCode(rawValue: 1168)
    /// WSAEACCES (10013): an admin operation from a client that is not root or in `admin_group`.
    public static let accessDenied = ResultCode(rawValue: 10013)
    /// WSAEINVAL (10022): bad input, or WSACancelAsyncRequest on a handle never issued.
    public static let invalidArgument = ResultCode(rawValue: 10022)
    /// WSAEALREADY (10037): WSACancelAsyncRequest on a handle that has finished.
    public static let alreadyInProgress = ResultCode(rawValue: 10037)
    /// WSAESOCKTNOSUPPORT (10044): EAI_SOCKTYPE.
    public static let socketTypeNotSupported = ResultCode(rawValue: 10044)
    /// WSAEAFNOSUPPORT (10047): EAI_FAMILY.
    public static let addressFamilyNotSupported = ResultCode(rawValue: 10047)
    /// WSAENOBUFS (10055): the result does not fit the caller's buffer, or a limit was reached.
    public static let noBufferSpace = ResultCode(rawValue: 10055)
    /// WSAETIMEDOUT (10060): the lookup's own timeout expired.
    public static let timedOut = ResultCode(rawValue: 10060)
    /// WSATYPE_NOT_FOUND (10109): EAI_SERVICE, the service is unknown for the socket type.
    public static let typeNotFound = ResultCode(rawValue: 10109)
    /// WSA_E_CANCELLED (10111): the lookup was cancelled by its handle.
    public static let cancelled = ResultCode(rawValue: 10111)
    /// WSAHOST_NOT_FOUND (11001): the name does not exist (NXDOMAIN, EAI_NONAME).
    public static let hostNotFound = ResultCode(rawValue: 11001)
    /// WSATRY_AGAIN (11002): a temporary failure (SERVFAIL, c-ares' own timeout, refused connection).
    public static let tryAgain = ResultCode(rawValue: 11002)
    /// WSANO_RECOVERY (11003): a permanent failure (REFUSED, FORMERR, EAI_FAIL).
    public static let noRecovery = ResultCode(rawValue: 11003)
    /// WSANO_DATA (11004): the name exists but has no record of the type asked for.
    public static let noData = ResultCode(rawValue: 11004)

    private static let symbols: [Int32: String] = [
        0: "NO_ERROR", 6: "WSA_INVALID_HANDLE", 8: "WSA_NOT_ENOUGH_MEMORY",
        995: "ERROR_OPERATION_ABORTED", 1168: "ERROR_NOT_FOUND", 10013: "WSAEACCES", 10022: "WSAEINVAL",
        10037: "WSAEALREADY", 10044: "WSAESOCKTNOSUPPORT", 10047: "WSAEAFNOSUPPORT",
        10055: "WSAENOBUFS", 10060: "WSAETIMEDOUT", 10109: "WSATYPE_NOT_FOUND",
        10111: "WSA_E_CANCELLED", 11001: "WSAHOST_NOT_FOUND", 11002: "WSATRY_AGAIN",
        11003: "WSANO_RECOVERY", 11004: "WSANO_DATA",
    ]
}
