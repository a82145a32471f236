/// libFuzzer's entry: the first byte picks the parser (configuration file, upstream address,
/// hosts, services, protocols), the rest is its text (see ``TextFilesFuzzing``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextFiles(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    TextFilesFuzzing.fuzz(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
