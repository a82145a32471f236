import NIOCore
import ResolverTypes

/// One reply line from resolvd, as protocol v1 defines it.
///
/// A `Reply` is the parsed envelope and the line itself; it does not judge whether the
/// status is a failure the caller cares about. ``failure`` is the ``ResolverError`` a
/// non-zero status stands for, ``lookupValue(for:)`` a lookup's typed result: what the
/// daemon wrote with ``LookupReplyLine`` reads back as the same value.
public struct Reply: Sendable, Hashable {
    /// The id of the request this answers; `nil` for a protocol error the daemon
    /// could not tie to a request (`"id": null`).
    public var id: Int64?
    /// The Windows result code; ``ResultCode/noError`` on success.
    public var status: ResultCode
    /// The symbol of a failure, such as `WSAHOST_NOT_FOUND`; `nil` on success.
    public var error: String?
    /// The human-readable text of a failure; `nil` on success.
    public var message: String?
    /// The `result` member of a successful reply.
    public var result: JSONValue?
    /// For WSAENOBUFS (10055), the buffer length that would have been enough, if the daemon said.
    public var required: Int?
    /// The reply line exactly as received, without its newline.
    public var line: String

    public init(
        id: Int64?,
        status: ResultCode,
        error: String? = nil,
        message: String? = nil,
        result: JSONValue? = nil,
        required: Int? = nil,
        line: String
    ) {
        self.id = id
        self.status = status
        self.error = error
        self.message = message
        self.result = result
        self.required = required
        self.line = line
    }

    /// Whether the status is 0 (NO_ERROR).
    public var isSuccess: Bool { status == .noError }

    /// The failure symbol: the reply's own, else the known symbol for ``status``.
    public var symbol: String {
        error ?? status.symbol
    }

    /// The failure a non-zero status reports, with the daemon's message and `required`;
    /// `nil` on success.
    public var failure: ResolverError? {
        guard !isSuccess else { return nil }
        return ResolverError(code: status, message: message ?? "", requiredBufferLength: required)
    }
}

/// Why a line from resolvd is not a protocol v1 reply.
public struct ReplyParsingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: String
    public var line: String

    public init(reason: String, line: String) {
        self.reason = reason
        self.line = line
    }

    public var description: String { "malformed reply (\(reason)): \(line)" }
}

extension Reply {
    /// The deepest nesting of arrays and objects accepted in a reply.
    static let maximumDepth = 256

    /// Parses one reply line (without its newline).
    ///
    /// The line must be a JSON object (as strict RFC 8259: see `JSONParser`) with an integer
    /// `status` that fits in `Int32` and an `id` that is an integer, `null` or absent.
    /// `error` and `message` must be strings if present, `required` an integer. Members the
    /// protocol does not define are ignored.
    public init(line: String) throws(ReplyParsingError) {
        let parsed = Result { () throws(JSONParseError) -> JSONValue in
            try JSONParser.parse(line, maxDepth: Self.maximumDepth)
        }
        try self.init(parsed: parsed, line: line)
    }

    /// Parses one reply line (without its newline) straight from the bytes read.
    public init(buffer: ByteBuffer) throws(ReplyParsingError) {
        let parsed = Result { () throws(JSONParseError) -> JSONValue in
            try JSONParser.parse(buffer, maxDepth: Self.maximumDepth)
        }
        try self.init(parsed: parsed, line: String(buffer: buffer))
    }

    private init(parsed: Result<JSONValue, JSONParseError>, line: String) throws(ReplyParsingError) {
        let value: JSONValue
        switch parsed {
        case .success(let parsedValue): value = parsedValue
        case .failure(let error): throw ReplyParsingError(reason: "invalid JSON: \(error)", line: line)
        }
        guard let object = value.objectValue else {
            throw ReplyParsingError(reason: "not a JSON object", line: line)
        }

        // Protocol fields are integers as written: `7.0` is not an id or a status.
        let id: Int64?
        switch object["id"] {
        case nil, .null?: id = nil
        case .integer(let value)?: id = value
        default: throw ReplyParsingError(reason: "id is not an integer or null", line: line)
        }

        guard case .integer(let statusValue)? = object["status"], let status = Int32(exactly: statusValue) else {
            throw ReplyParsingError(reason: "status is missing or not a 32-bit integer", line: line)
        }

        func optionalString(_ key: String) throws(ReplyParsingError) -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw ReplyParsingError(reason: "\(key) is not a string", line: line)
            }
        }

        let required: Int?
        switch object["required"] {
        case nil, .null?: required = nil
        case .integer(let value)? where Int(exactly: value) != nil:
            required = Int(value)
        default: throw ReplyParsingError(reason: "required is not an integer", line: line)
        }

        self.init(
            id: id,
            status: ResultCode(rawValue: status),
            error: try optionalString("error"),
            message: try optionalString("message"),
            result: object["result"],
            required: required,
            line: line
        )
    }
}
