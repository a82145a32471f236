/// libFuzzer's entry: every input is a Varlink byte stream as a local client might send it
/// (see ``VarlinkFuzzing``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVarlink(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    VarlinkFuzzing.fuzz(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
