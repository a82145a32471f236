/// The results of the cancel and admin ops (docs/protocol.md, "Cancel ops", "Admin ops"):
/// the daemon writes them into any ``JSONSink`` (they are ``JSONWritable``), the client
/// reads them back with `init?(json:)`, which returns `nil` when a member is missing or of
/// the wrong type and ignores members it does not know.

/// `{}`: the result of `cancel`, `cancel_async_request` and `reload`.
public struct EmptyResult: Hashable, Sendable, JSONWritable {
    @inlinable
    public init() {}

    /// Reads any JSON object.
    public init?(json: JSONValue) {
        guard json.objectValue != nil else { return nil }
    }

    @inlinable
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{}")
    }
}

/// `{"cancelled":n}`: the result of `cancel_all`.
public struct CancelAllResult: Hashable, Sendable, JSONWritable {
    /// How many lookups were aborted (each got its 995 reply first).
    public var cancelled: Int

    @inlinable
    public init(cancelled: Int) {
        self.cancelled = cancelled
    }

    public init?(json: JSONValue) {
        guard let cancelled: Int = json.objectValue?.integer("cancelled") else { return nil }
        self.init(cancelled: cancelled)
    }

    @inlinable
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"cancelled\":")
        sink.integer(cancelled)
        sink.raw("}")
    }
}

/// `{"flushed":n}`: the result of `flush_cache`.
public struct FlushCacheResult: Hashable, Sendable, JSONWritable {
    /// How many cache entries were dropped.
    public var flushed: Int

    @inlinable
    public init(flushed: Int) {
        self.flushed = flushed
    }

    public init?(json: JSONValue) {
        guard let flushed: Int = json.objectValue?.integer("flushed") else { return nil }
        self.init(flushed: flushed)
    }

    @inlinable
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"flushed\":")
        sink.integer(flushed)
        sink.raw("}")
    }
}
