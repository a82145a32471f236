/// libFuzzer's entry: every input is a script of datagrams and TCP bytes exchanged with an
/// upstream (see ``UpstreamTrafficFuzzing``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUpstreamTraffic(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    UpstreamTrafficFuzzing.fuzz(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
