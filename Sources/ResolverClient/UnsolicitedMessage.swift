/// A line from resolvd that answers no pending request of this connection.
///
/// These are protocol errors (`"id": null`), replies whose id this connection is not
/// waiting for, and lines that do not parse as replies. ``ResolvdConnection`` delivers
/// them on ``ResolvdConnection/unsolicitedMessages``; it does not close the
/// connection because of them.
public enum UnsolicitedMessage: Sendable, Hashable {
    /// A well-formed reply with `"id": null` or an id that is not pending.
    case reply(Reply)
    /// A line that is not a protocol v1 reply.
    case malformed(ReplyParsingError)
}
