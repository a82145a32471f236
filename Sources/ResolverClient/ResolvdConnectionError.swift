/// A failure of the connection to resolvd rather than of a lookup.
///
/// Lookup failures reported by the daemon are ``ResolverError``s; this type covers what
/// happens around them: the connection closing with requests pending, a line that
/// breaks the framing, or a success reply whose result does not have the shape a
/// typed method expects.
public enum ResolvdConnectionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The connection closed before the request's reply arrived, or before it was sent.
    /// The text says why: closed by the client, by the daemon, or which error closed it.
    case connectionClosed(reason: String)
    /// The daemon sent a line longer than the client accepts; the connection is closed.
    case lineTooLong(limit: Int)
    /// A success reply whose `result` lacks a member a typed method needs.
    case unexpectedResult(op: String, line: String)

    public var description: String {
        switch self {
        case .connectionClosed(let reason):
            return "connection to resolvd closed: \(reason)"
        case .lineTooLong(let limit):
            return "resolvd sent a line longer than \(limit) bytes"
        case .unexpectedResult(let op, let line):
            return "unexpected result for \(op): \(line)"
        }
    }
}
