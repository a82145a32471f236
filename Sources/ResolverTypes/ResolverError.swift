/// Why a lookup failed: a Windows ``ResultCode``, a human-readable message and,
/// for ``ResultCode/noBufferSpace``, the buffer length the result needs (WSAGETASYNCBUFLEN).
///
/// Like SwiftNIO's errors, this is a struct with static factories rather than an enum,
/// so new failure kinds can be added without breaking callers. Compare errors by
/// ``code``; the message is for people and may change.
public struct ResolverError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The Windows result code callers branch on.
    public let code: ResultCode
    /// What went wrong, for logs and people.
    public let message: String
    /// For ``ResultCode/noBufferSpace`` from a WSAAsyncGetXByY-style lookup: the buffer length
    /// that would have been enough. `nil` otherwise.
    public let requiredBufferLength: Int?
    /// For a negative answer (WSAHOST_NOT_FOUND, WSANO_DATA) whose SOA was seen: how long
    /// it may be cached, min(SOA TTL, SOA minimum) as RFC 2308 says. `nil` when unknown.
    public var negativeTTL: UInt32?

    public init(code: ResultCode, message: String, requiredBufferLength: Int? = nil, negativeTTL: UInt32? = nil) {
        self.code = code
        self.message = message
        self.requiredBufferLength = requiredBufferLength
        self.negativeTTL = negativeTTL
    }

    /// `WSAHOST_NOT_FOUND (11001): message`, or without `: message` when it is empty.
    public var description: String {
        message.isEmpty ? code.description : "\(code.description): \(message)"
    }

    /// The lookup was cancelled through its handle (GetAddrInfoExCancel, WSACancelAsyncRequest).
    public static let cancelled = ResolverError(code: .cancelled, message: "the lookup was cancelled")
    /// The lookup was aborted by cancel-all for its owner, or by shutdown.
    public static let aborted = ResolverError(code: .operationAborted, message: "the lookup was aborted")
    /// The lookup's own timeout expired before an answer arrived.
    public static let timedOut = ResolverError(code: .timedOut, message: "the lookup timed out")

    /// Bad input: the message says which.
    public static func invalidArgument(_ message: String) -> ResolverError {
        ResolverError(code: .invalidArgument, message: message)
    }

    /// The result needs `required` bytes but the caller allowed `bufferLength`.
    public static func bufferTooSmall(required: Int, bufferLength: Int) -> ResolverError {
        ResolverError(
            code: .noBufferSpace,
            message: "the result needs a buffer of \(required) bytes, \(bufferLength) given",
            requiredBufferLength: required
        )
    }
}
