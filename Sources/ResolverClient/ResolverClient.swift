// ResolverClient is the Swift client of resolvd: one connection over the daemon's Unix
// socket, many requests in flight, typed lookups and cancels, Task cancellation sent as
// `cancel`. It speaks protocol v1 through ResolvdProtocol (the same request encoding, reply
// decoding and line framing the daemon uses) and returns ResolverTypes' values; it links
// neither the engine nor c-ares. It does not reconnect, retry or time requests out.
//
// Both are re-exported, so `import ResolverClient` is enough to use the results
// (`AddressInfo`, `HostEntry`, `ResultCode`, `ResolverError`…) and `JSONValue`.
@_exported import ResolvdProtocol
@_exported import ResolverTypes
