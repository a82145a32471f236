// Protocol v1 (operations, typed requests and replies, the line framer, the JSON codec)
// lives in ResolvdProtocol, shared with the client; re-exported so that `import
// ResolvdServer` keeps giving the daemon's tools and tests `JSONValue` and `JSONParser`.
@_exported import ResolvdProtocol
