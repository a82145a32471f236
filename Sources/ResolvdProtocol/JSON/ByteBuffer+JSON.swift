import NIOCore

/// Writing JSON text, compact (no whitespace between tokens), straight into a `ByteBuffer`.
///
/// All of these go through the one JSON writer, ``JSONSink``'s: a value is measured, the
/// bound reserved once, then written with plain stores. They do not add the newline that
/// ends a protocol line, and do not check that the result is a complete document; that is
/// the caller's framing.
extension ByteBuffer {
    /// Writes `string` as a quoted JSON string and returns the number of bytes written.
    ///
    /// Escapes `"`, `\` and the control characters below U+0020 (as `\n`, `\r`, `\t`, `\b`, `\f`,
    /// or `\u00XX`); all other UTF-8, including U+007F and non-ASCII, is copied as is.
    @discardableResult
    public mutating func writeJSONString(_ string: String) -> Int {
        self.writeJSON(JSONStringToken(string: string))
    }

    /// Writes `value` as compact JSON text and returns the number of bytes written.
    /// Non-finite doubles, which JSON cannot express, are written as `null`.
    @discardableResult
    public mutating func writeJSONValue(_ value: JSONValue) -> Int {
        self.writeJSON(value)
    }

    /// Writes `value` in decimal (a JSON number) and returns the number of bytes written.
    /// Integers up to 64 bits are formatted straight into the buffer without allocating.
    @discardableResult
    public mutating func writeJSONInteger<T: FixedWidthInteger>(_ value: T) -> Int {
        self.writeJSON(JSONIntegerToken(value: value))
    }
}

private struct JSONStringToken: JSONWritable {
    var string: String
    func write<Sink: JSONSink>(to sink: inout Sink) { sink.string(string) }
}

private struct JSONIntegerToken<T: FixedWidthInteger>: JSONWritable {
    var value: T
    func write<Sink: JSONSink>(to sink: inout Sink) { sink.integer(value) }
}

extension JSONValue: JSONWritable {
    /// Compact JSON text. A double is written in the shortest form that reads back as the
    /// same value, integral ones with a fraction (`1000.0`) so they read back as doubles;
    /// non-finite ones as `null`.
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        switch self {
        case .null:
            sink.raw("null")
        case .bool(let value):
            sink.raw(value ? "true" : "false")
        case .integer(let value):
            sink.integer(value)
        case .double(let value):
            if value.isFinite { sink.text(value.description) } else { sink.raw("null") }
        case .string(let value):
            sink.string(value)
        case .array(let elements):
            sink.raw("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { sink.raw(",") }
                element.write(to: &sink)
            }
            sink.raw("]")
        case .object(let object):
            sink.raw("{")
            for (index, member) in object.members.enumerated() {
                if index > 0 { sink.raw(",") }
                sink.string(member.key)
                sink.raw(":")
                member.value.write(to: &sink)
            }
            sink.raw("}")
        }
    }
}
