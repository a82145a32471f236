/// libFuzzer's entry: every input is a datagram a client might send the DNS stub listener
/// (see ``DNSStubFuzzing``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSStub(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    DNSStubFuzzing.fuzz(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
