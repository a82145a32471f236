import ResolverCore

/// libFuzzer's entry: every input is a DNS message as an upstream might send it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSMessage(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    DNSMessageFuzzing.fuzz(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
