import ResolverTypes

/// How a lookup ended, classified once for every counter that tells endings apart (`stats`'
/// totals, each client's row): from its result code, by the status table's names.
enum LookupEnding {
    case answered
    /// WSA_E_CANCELLED: a client's cancel.
    case cancelled
    /// ERROR_OPERATION_ABORTED: a close, `cancel_all`, a shutdown.
    case aborted
    /// WSAETIMEDOUT: the lookup's own `timeout_ms`.
    case timedOut
    case failed

    init(_ code: Int32) {
        switch code {
        case ResultCode.noError.rawValue: self = .answered
        case ResultCode.cancelled.rawValue: self = .cancelled
        case ResultCode.operationAborted.rawValue: self = .aborted
        case ResultCode.timedOut.rawValue: self = .timedOut
        default: self = .failed
        }
    }
}
