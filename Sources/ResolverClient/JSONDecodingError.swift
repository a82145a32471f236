/// Why a piece of text is not one JSON value, and the byte offset where that was found.
public struct JSONDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong, such as "unterminated string".
    public var reason: String
    /// The offset in UTF-8 bytes from the start of the text.
    public var offset: Int

    public init(reason: String, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
