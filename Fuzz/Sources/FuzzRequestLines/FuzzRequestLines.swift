/// libFuzzer's entry: every input is the byte stream of a protocol v1 client
/// (see ``RequestLinesFuzzing``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestLines(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    RequestLinesFuzzing.fuzz(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
