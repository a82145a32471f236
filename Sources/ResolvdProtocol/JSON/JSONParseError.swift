/// Why ``JSONParser`` rejected a document, and where: ``offset`` is the byte offset of the
/// offending character from the start of the input.
///
/// Like SwiftNIO's errors this is a struct, not an enum, so new kinds can be added without
/// breaking callers. Branch on ``kind``; ``description`` is for people (and for the error
/// message sent back to a client) and may change.
public struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What class of problem was found.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: Hashable, Sendable {
            case unexpectedEndOfInput
            case unexpectedCharacter
            case trailingCharacters
            case unterminatedString
            case controlCharacterInString
            case invalidEscape
            case loneSurrogate
            case invalidUTF8
            case invalidNumber
            case numberOutOfRange
            case nestingTooDeep
            case duplicateKey
        }

        private let code: Code

        private init(_ code: Code) {
            self.code = code
        }

        /// The input ended inside a value (or was empty).
        public static let unexpectedEndOfInput = Kind(.unexpectedEndOfInput)
        /// A character that cannot start or continue the value at that point.
        public static let unexpectedCharacter = Kind(.unexpectedCharacter)
        /// Something other than whitespace after the complete value.
        public static let trailingCharacters = Kind(.trailingCharacters)
        /// A string without its closing quote; the offset is the opening quote.
        public static let unterminatedString = Kind(.unterminatedString)
        /// An unescaped byte below 0x20 inside a string.
        public static let controlCharacterInString = Kind(.controlCharacterInString)
        /// A backslash not followed by one of the eight escapes JSON has, or a malformed `\u`.
        public static let invalidEscape = Kind(.invalidEscape)
        /// A `\u` escape naming half of a surrogate pair without the other half.
        public static let loneSurrogate = Kind(.loneSurrogate)
        /// Bytes inside a string that are not well-formed UTF-8.
        public static let invalidUTF8 = Kind(.invalidUTF8)
        /// A number JSON does not allow: leading zero, missing digits after `.` or in an exponent.
        public static let invalidNumber = Kind(.invalidNumber)
        /// A number too large for a `Double`.
        public static let numberOutOfRange = Kind(.numberOutOfRange)
        /// Arrays and objects nested deeper than the parser's `maxDepth`.
        public static let nestingTooDeep = Kind(.nestingTooDeep)
        /// An object that repeats a key.
        public static let duplicateKey = Kind(.duplicateKey)

        public var description: String {
            String(describing: self.code)
        }
    }

    private enum Detail: Hashable, Sendable {
        case none
        case byte(UInt8)
        case limit(Int)
        case key(String)
        case note(String)
    }

    /// What class of problem was found.
    public let kind: Kind
    /// Byte offset of the problem from the start of the input.
    public let offset: Int
    private let detail: Detail

    private init(_ kind: Kind, at offset: Int, _ detail: Detail = .none) {
        self.kind = kind
        self.offset = offset
        self.detail = detail
    }

    public var description: String {
        let at = "at byte \(self.offset)"
        switch self.kind {
        case .unexpectedEndOfInput:
            return "unexpected end of input \(at)"
        case .unexpectedCharacter:
            return "unexpected character \(self.detailText) \(at)"
        case .trailingCharacters:
            return "unexpected character \(self.detailText) after the value \(at)"
        case .unterminatedString:
            return "unterminated string starting \(at)"
        case .controlCharacterInString:
            return "unescaped control character \(self.detailText) in string \(at)"
        case .invalidEscape:
            return "invalid escape sequence \(at)"
        case .loneSurrogate:
            return "lone UTF-16 surrogate in \\u escape \(at)"
        case .invalidUTF8:
            return "invalid UTF-8 \(at)"
        case .invalidNumber:
            return "invalid number \(at)\(self.detailText.isEmpty ? "" : ": \(self.detailText)")"
        case .numberOutOfRange:
            return "number out of range \(at)"
        case .nestingTooDeep:
            return "nesting deeper than \(self.detailText) \(at)"
        case .duplicateKey:
            return "duplicate key \(self.detailText) \(at)"
        default:
            return "\(self.kind) \(at)"
        }
    }

    private var detailText: String {
        switch self.detail {
        case .none:
            return ""
        case .byte(let byte):
            if byte >= 0x20 && byte < 0x7F {
                return "'\(Character(Unicode.Scalar(byte)))'"
            }
            let hex = String(byte, radix: 16, uppercase: true)
            return "0x" + (hex.count < 2 ? "0" + hex : hex)
        case .limit(let limit):
            return String(limit)
        case .key(let key):
            return "\"\(key)\""
        case .note(let note):
            return note
        }
    }

    static func unexpectedEndOfInput(at offset: Int) -> JSONParseError {
        JSONParseError(.unexpectedEndOfInput, at: offset)
    }

    static func unexpectedCharacter(_ byte: UInt8, at offset: Int) -> JSONParseError {
        JSONParseError(.unexpectedCharacter, at: offset, .byte(byte))
    }

    static func trailingCharacters(_ byte: UInt8, at offset: Int) -> JSONParseError {
        JSONParseError(.trailingCharacters, at: offset, .byte(byte))
    }

    static func unterminatedString(at offset: Int) -> JSONParseError {
        JSONParseError(.unterminatedString, at: offset)
    }

    static func controlCharacterInString(_ byte: UInt8, at offset: Int) -> JSONParseError {
        JSONParseError(.controlCharacterInString, at: offset, .byte(byte))
    }

    static func invalidEscape(at offset: Int) -> JSONParseError {
        JSONParseError(.invalidEscape, at: offset)
    }

    static func loneSurrogate(at offset: Int) -> JSONParseError {
        JSONParseError(.loneSurrogate, at: offset)
    }

    static func invalidUTF8(at offset: Int) -> JSONParseError {
        JSONParseError(.invalidUTF8, at: offset)
    }

    static func leadingZero(at offset: Int) -> JSONParseError {
        JSONParseError(.invalidNumber, at: offset, .note("leading zero"))
    }

    static func expectedDigit(at offset: Int) -> JSONParseError {
        JSONParseError(.invalidNumber, at: offset, .note("expected a digit"))
    }

    static func numberOutOfRange(at offset: Int) -> JSONParseError {
        JSONParseError(.numberOutOfRange, at: offset)
    }

    static func nestingTooDeep(limit: Int, at offset: Int) -> JSONParseError {
        JSONParseError(.nestingTooDeep, at: offset, .limit(limit))
    }

    static func duplicateKey(_ key: String, at offset: Int) -> JSONParseError {
        JSONParseError(.duplicateKey, at: offset, .key(key))
    }
}
