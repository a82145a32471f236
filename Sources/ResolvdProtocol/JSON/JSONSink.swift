import NIOCore

/// Where hot-path JSON text goes, token by token: one encoding function, written once
/// against this protocol, runs twice — first into a ``JSONSizeBound`` that adds up how
/// many bytes it can need at most, then into an ``UnsafeJSONWriter`` over exactly that much
/// reserved buffer space. Writing each token straight into `ByteBuffer` costs a capacity
/// and uniqueness check per token (a few hundred instructions each, measured with
/// callgrind); this way a whole reply line costs one reservation and plain stores.
///
/// Because both passes run the same code, the bound cannot drift from what is written;
/// the writer still checks every store against it. Sinks write compact JSON and know
/// nothing about what a document means; ``ByteBuffer/writeJSON(_:)`` runs the two passes.
/// It is the codec's only writer: `writeJSONString`, `writeJSONInteger` and
/// `writeJSONValue` (``JSONValue`` is ``JSONWritable``) all go through it.
public protocol JSONSink {
    /// Text that is already valid JSON (keys with their quotes, punctuation, `null`).
    mutating func raw(_ text: StaticString)
    /// Text made at run time that is already valid JSON (a double's `description`).
    mutating func text(_ text: String)
    /// `string` as a quoted JSON string: `"`, `\` and control characters below U+0020
    /// escaped (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX`), all other UTF-8 as is.
    mutating func string(_ string: String)
    /// `value` in decimal.
    mutating func integer<T: FixedWidthInteger>(_ value: T)
}

/// A value that writes itself as JSON text into any ``JSONSink``.
public protocol JSONWritable {
    func write<Sink: JSONSink>(to sink: inout Sink)
}

extension JSONSink {
    /// A JSON array of strings.
    @inlinable
    public mutating func strings(_ strings: [String]) {
        raw("[")
        for (index, element) in strings.enumerated() {
            if index > 0 { raw(",") }
            string(element)
        }
        raw("]")
    }
}

/// Adds up the most bytes a sequence of tokens can take: a string at most six bytes per
/// UTF-8 byte (`\u00XX`) plus its quotes, an integer at most 20 (`-9223372036854775808`).
public struct JSONSizeBound: JSONSink {
    @usableFromInline var total = 0
    public var bytes: Int { total }

    @inlinable
    public init() {}

    @inlinable
    public mutating func raw(_ text: StaticString) { total += text.utf8CodeUnitCount }

    @inlinable
    public mutating func text(_ text: String) { total += text.utf8.count }

    @inlinable
    public mutating func string(_ string: String) { total += 2 + 6 * string.utf8.count }

    @inlinable
    public mutating func integer<T: FixedWidthInteger>(_ value: T) {
        total += T.bitWidth <= 64 ? 20 : String(value).utf8.count
    }
}

/// Stores tokens into memory reserved beforehand; every store is checked against the
/// reservation (a failed check is a bug in the bound, and stops the process rather than
/// writing past the buffer).
public struct UnsafeJSONWriter: JSONSink {
    @usableFromInline let base: UnsafeMutablePointer<UInt8>
    @usableFromInline let capacity: Int
    @usableFromInline var written = 0
    public var count: Int { written }

    @inlinable
    init(_ bytes: UnsafeMutableRawBufferPointer) {
        base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        capacity = bytes.count
    }

    @inlinable
    mutating func reserve(_ length: Int) -> UnsafeMutablePointer<UInt8> {
        precondition(written + length <= capacity, "JSON text longer than its bound")
        defer { written += length }
        return base + written
    }

    @inlinable
    mutating func byte(_ byte: UInt8) {
        reserve(1).pointee = byte
    }

    /// Always inlined: the text and its length are then constants where it is called, and
    /// the copy a few moves instead of a call to memcpy (~40 instructions a token before,
    /// callgrind; a reply line has a dozen and more).
    @inlinable @inline(__always)
    public mutating func raw(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length).update(from: text.utf8Start, count: length)
    }

    @inlinable
    public mutating func text(_ text: String) {
        for byte in text.utf8 { self.byte(byte) }
    }

    @inlinable
    public mutating func string(_ string: String) {
        if let done = string.utf8.withContiguousStorageIfAvailable({ write(utf8: $0) }) {
            return done
        }
        var copy = string
        copy.withUTF8 { write(utf8: $0) }
    }

    @inlinable
    public mutating func integer<T: FixedWidthInteger>(_ value: T) {
        guard T.bitWidth <= 64 else {
            for byte in String(value).utf8 { self.byte(byte) }
            return
        }
        let magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        var digits = 1
        var rest = magnitude
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        if value < 0 { byte(UInt8(ascii: "-")) }
        let start = reserve(digits)
        var position = digits
        rest = magnitude
        repeat {
            position -= 1
            start[position] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
            rest /= 10
        } while rest != 0
    }

    @inlinable
    mutating func write(utf8: UnsafeBufferPointer<UInt8>) {
        @inline(__always)
        func needsEscape(_ byte: UInt8) -> Bool {
            byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
        }
        byte(UInt8(ascii: "\""))
        var runStart = 0
        for position in 0..<utf8.count where needsEscape(utf8[position]) {
            copy(utf8, from: runStart, to: position)
            escape(utf8[position])
            runStart = position + 1
        }
        copy(utf8, from: runStart, to: utf8.count)
        byte(UInt8(ascii: "\""))
    }

    @inlinable
    mutating func copy(_ utf8: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        guard start < end, let source = utf8.baseAddress else { return }
        reserve(end - start).update(from: source + start, count: end - start)
    }

    @usableFromInline
    mutating func escape(_ value: UInt8) {
        byte(UInt8(ascii: "\\"))
        switch value {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte(value)
        case 0x0A: byte(UInt8(ascii: "n"))
        case 0x0D: byte(UInt8(ascii: "r"))
        case 0x09: byte(UInt8(ascii: "t"))
        case 0x08: byte(UInt8(ascii: "b"))
        case 0x0C: byte(UInt8(ascii: "f"))
        default:
            let hex: StaticString = "0123456789abcdef"
            raw("u00")
            byte(hex.utf8Start[Int(value >> 4)])
            byte(hex.utf8Start[Int(value & 0x0F)])
        }
    }
}

extension ByteBuffer {
    /// Writes `value`'s JSON text with one reservation (see ``JSONSink``); returns the
    /// number of bytes written.
    @inlinable @discardableResult
    public mutating func writeJSON<Value: JSONWritable>(_ value: Value) -> Int {
        var bound = JSONSizeBound()
        value.write(to: &bound)
        return writeJSON(value, bound: bound.bytes)
    }

    @inlinable @discardableResult
    mutating func writeJSON<Value: JSONWritable>(_ value: Value, bound: Int) -> Int {
        writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { bytes in
            var writer = UnsafeJSONWriter(bytes)
            value.write(to: &writer)
            return writer.count
        }
    }
}

extension ByteBufferAllocator {
    /// A buffer holding exactly `value`'s JSON text, allocated once at its bound.
    @inlinable
    public func buffer<Value: JSONWritable>(json value: Value) -> ByteBuffer {
        var bound = JSONSizeBound()
        value.write(to: &bound)
        var buffer = self.buffer(capacity: bound.bytes)
        buffer.writeJSON(value, bound: bound.bytes)
        return buffer
    }
}
