// ResolverCore is the resolver engine: c-ares channels on their own threads, the lookup
// registry and its cancel rules, the local databases (hosts, services, protocols) and the
// DNS answer parser. It does not speak protocol v1 (ResolvdProtocol) and does not cache
// (the daemon does).
//
// The value types its API takes and returns — result codes, errors, families, requests
// and answers — live in ResolverTypes, so that a client can use them without linking
// c-ares; they are re-exported here so that `import ResolverCore` is all an engine user needs.
@_exported import ResolverTypes
