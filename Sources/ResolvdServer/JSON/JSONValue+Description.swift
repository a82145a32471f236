import NIOCore

extension JSONValue: CustomStringConvertible {
    /// The value as compact JSON text, for logs and test failures.
    public var description: String {
        var buffer = ByteBuffer()
        buffer.writeJSONValue(self)
        return String(buffer: buffer)
    }
}
