extension JSONValue {
    /// The value as compact JSON text: no whitespace, object keys sorted, non-ASCII
    /// characters written as UTF-8 and control characters escaped.
    ///
    /// A non-finite ``double(_:)`` (NaN or an infinity), which JSON cannot express,
    /// is written as `null`. The text never contains a newline, so it can be sent
    /// as one protocol v1 line.
    public var jsonText: String {
        var output = ""
        write(to: &output)
        return output
    }

    /// Appends the compact JSON text of the value to `output`.
    func write(to output: inout String) {
        switch self {
        case .null:
            output += "null"
        case .bool(let value):
            output += value ? "true" : "false"
        case .int(let value):
            output += String(value)
        case .double(let value):
            Self.writeNumber(value, to: &output)
        case .string(let value):
            Self.writeString(value, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            Self.writeObject(members.sorted { $0.key < $1.key }, to: &output)
        }
    }

    /// Writes members in the order given.
    static func writeObject(_ members: [(key: String, value: JSONValue)], to output: inout String) {
        output += "{"
        for (index, member) in members.enumerated() {
            if index > 0 { output += "," }
            writeString(member.key, to: &output)
            output += ":"
            member.value.write(to: &output)
        }
        output += "}"
    }

    static func writeNumber(_ value: Double, to output: inout String) {
        guard value.isFinite else {
            output += "null"
            return
        }
        // Swift's shortest round-trip form ("1.5", "1e-07", "1e+100") is valid JSON.
        output += value.description
    }

    static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\u{00}"..."\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}":
                let hex = String(scalar.value, radix: 16, uppercase: false)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
