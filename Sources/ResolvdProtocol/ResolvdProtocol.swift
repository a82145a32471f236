// ResolvdProtocol is protocol v1 (docs/protocol.md), defined once for the daemon and the
// client:
//
// - the operations (``Operation``: wire names, what kind of op each is, `hello`'s list),
//   the typed requests (``Request``, ``LookupRequest``) and the id limit;
// - request decoding (``RequestDecoder``, the daemon's strict reader) next to request
//   encoding (``Request`` is ``JSONWritable``, what the client sends);
// - reply encoding (``ReplyEncoder``, ``LookupReplyLine``, ``SuccessLine``: written
//   straight into a `ByteBuffer`, no JSON tree) next to reply decoding (``Reply``, the
//   typed results' `init?(json:)`), for the lookups' results and the other ops' own
//   (``ServerInfo``, ``StatsResult``, ``CancelAllResult``, ``FlushCacheResult``,
//   ``EmptyResult``);
// - the line framer both ends use (``LineFrameDecoder``) and the JSON codec underneath
//   (``JSONParser``, ``JSONValue``, ``JSONSink``).
//
// It does not own connections, lookups, caching or the cancel rules (the daemon's
// ResolvdServer and the client's ResolverClient do), and not the value types it encodes:
// those are ResolverTypes', shared with the engine.
