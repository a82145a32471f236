// The client reads and writes protocol v1 with the daemon's own JSON codec; re-exported so
// that `import ResolverClient` is enough to use `JSONValue` and `JSONObject` in results.
@_exported import ResolvdProtocol
