import NIOCore

/// Reads one JSON document (RFC 8259, strictly) from bytes into a ``JSONValue``.
///
/// Strict means: no comments, no trailing commas, no leading zeros, no `NaN` or `Infinity`,
/// only the eight escapes JSON defines plus `\uXXXX` (surrogates must come in pairs), no
/// unescaped control characters or malformed UTF-8 in strings, whitespace limited to space,
/// tab, CR and LF, nothing but whitespace after the value, no repeated keys in an object, and
/// arrays and objects nested at most `maxDepth` deep.
///
/// The parser reads a complete document: it does not split a stream into lines or frames
/// (the caller hands it one line) and does not stop early at the end of the first value.
public enum JSONParser {
    /// Parses `bytes`, which must hold exactly one JSON value plus optional whitespace.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        maxDepth: Int = 32
    ) throws(JSONParseError) -> JSONValue {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw .unexpectedEndOfInput(at: 0)
        }
        var reader = JSONReader(
            base: base.assumingMemoryBound(to: UInt8.self),
            count: bytes.count,
            maxDepth: maxDepth
        )
        return try reader.readDocument()
    }

    /// Parses the readable bytes of `buffer` in place, without copying them. The reader
    /// index is not moved.
    public static func parse(_ buffer: ByteBuffer, maxDepth: Int = 32) throws(JSONParseError) -> JSONValue {
        let result = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) -> JSONValue in
                try JSONParser.parse(bytes, maxDepth: maxDepth)
            }
        }
        return try result.get()
    }

    /// Parses the UTF-8 of `text`; a convenience for tests and configuration, not the hot path.
    public static func parse(_ text: String, maxDepth: Int = 32) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { utf8 in
            Result { () throws(JSONParseError) -> JSONValue in
                try JSONParser.parse(UnsafeRawBufferPointer(utf8), maxDepth: maxDepth)
            }
        }
        return try result.get()
    }
}
