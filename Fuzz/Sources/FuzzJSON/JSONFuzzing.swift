import NIOCore
import ResolvdProtocol

/// The checks of the libFuzzer target over ``JSONParser`` and the JSON writer
/// (`LLVMFuzzerTestOneInput` in FuzzJSON.swift calls ``fuzz(_:)`` with each input).
///
/// It parses the input and, when that succeeds, checks what the codec promises, trapping
/// (so libFuzzer reports a crash) when a promise is broken:
/// - what the writer writes parses back to the same value;
/// - writing is deterministic;
/// - a parse error points inside the input.
enum JSONFuzzing {
    static func fuzz(_ data: UnsafeRawBufferPointer) {
        var input = ByteBuffer()
        input.writeBytes(data)
        let value: JSONValue
        do {
            value = try JSONParser.parse(input)
        } catch {
            precondition(error.offset >= 0 && error.offset <= data.count, "error offset \(error.offset) outside the input")
            return
        }
        var written = ByteBuffer()
        let count = written.writeJSONValue(value)
        precondition(count == written.readableBytes, "writeJSONValue miscounted")
        guard let again = try? JSONParser.parse(written) else {
            preconditionFailure("written text does not parse: \(String(buffer: written))")
        }
        precondition(again == value, "round trip changed the value")
        var second = ByteBuffer()
        second.writeJSONValue(again)
        precondition(second == written, "writing is not deterministic")
    }
}
