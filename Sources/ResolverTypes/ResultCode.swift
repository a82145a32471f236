/// A Windows result code, as GetAddrInfoEx, WSAAsyncGetXByY, GetAddrInfoExCancel,
/// WSACancelAsyncRequest and CancelIoEx report them.
///
/// `ResultCode` is the number, its symbol and its meaning: the one status table of the
/// engine, the daemon and the client. What a failed lookup says about
/// *why* it failed lives in ``ResolverError``, which carries a `ResultCode`.
/// The full table, with where each code comes from, is in `docs/error-codes.md`.
public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The Windows symbol, such as `WSA_E_CANCELLED`; `UNKNOWN_<n>` for a number outside the table.
    public var symbol: String {
        Self.table[rawValue]?.symbol ?? "UNKNOWN_\(rawValue)"
    }

    /// What the code means in resolvd, in one line; empty for a number outside the table.
    public var meaning: String {
        Self.table[rawValue]?.meaning ?? ""
    }

    /// Whether the code is one of the table's, that is one resolvd can report.
    public var isKnown: Bool { Self.table[rawValue] != nil }

    public var description: String { "\(symbol) (\(rawValue))" }

    /// Every code resolvd reports, in the order of the table in the docs.
    public static let all: [ResultCode] = rows.map(\.code)

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

    /// The status table, once: code, symbol and meaning, in the order of docs/error-codes.md.
    /// Where each code comes from (c-ares status, EAI_* code, cancel rule) is in that doc.
    private static let rows: [(code: ResultCode, symbol: String, meaning: String)] = [
        (.noError, "NO_ERROR", "success"),
        (.invalidHandle, "WSA_INVALID_HANDLE", "cancel on a handle that is not a pending lookup"),
        (.notEnoughMemory, "WSA_NOT_ENOUGH_MEMORY", "c-ares ran out of memory"),
        (.operationAborted, "ERROR_OPERATION_ABORTED", "aborted by cancel_all, the connection closing, or shutdown"),
        (.notFound, "ERROR_NOT_FOUND", "cancel_all found nothing pending"),
        (.accessDenied, "WSAEACCES", "an admin op from a peer that is not an admin"),
        (.invalidArgument, "WSAEINVAL", "bad input, a protocol error, or cancel_async_request on a handle never issued"),
        (.alreadyInProgress, "WSAEALREADY", "cancel_async_request on a lookup that has finished"),
        (.socketTypeNotSupported, "WSAESOCKTNOSUPPORT", "socket type and protocol hints that do not go together"),
        (.addressFamilyNotSupported, "WSAEAFNOSUPPORT", "address family not supported"),
        (.noBufferSpace, "WSAENOBUFS", "the result does not fit the buffer (see required), or a limit was reached"),
        (.timedOut, "WSAETIMEDOUT", "the lookup's own timeout expired"),
        (.typeNotFound, "WSATYPE_NOT_FOUND", "the service is not known for the socket type"),
        (.cancelled, "WSA_E_CANCELLED", "the lookup was cancelled by its handle"),
        (.hostNotFound, "WSAHOST_NOT_FOUND", "the name does not exist"),
        (.tryAgain, "WSATRY_AGAIN", "a temporary failure: SERVFAIL, no answer, refused"),
        (.noRecovery, "WSANO_RECOVERY", "a permanent failure: REFUSED, FORMERR, NOTIMP, a malformed answer"),
        (.noData, "WSANO_DATA", "the name exists but has no record of the type asked"),
    ]

    private static let table: [Int32: (symbol: String, meaning: String)] = Dictionary(
        uniqueKeysWithValues: rows.map { ($0.code.rawValue, ($0.symbol, $0.meaning)) }
    )
}
