import ResolvdProtocol

/// libFuzzer's entry: every input is a protocol line as a client might send it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    JSONFuzzing.fuzz(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
