import NIOCore
import ResolverTypes

/// Writes protocol v1 reply lines straight into a `ByteBuffer`, without building an
/// intermediate JSON tree. Lookup replies, the daemon's hottest path, are
/// ``LookupReplyLine``s, the other ops' ``SuccessLine``s, that the connection encodes
/// straight into its output buffer.
///
/// It knows the reply shapes of docs/protocol.md and nothing about connections. Only the
/// daemon (and the tests) write replies; the client reads them with ``Reply``. Public, not
/// `package`, on purpose: the Swift 6.3 release build did not specialize `@inlinable package`
/// bodies in the daemon, and the reply path went through protocol witnesses (+2,700
/// instructions per cached lookup, docs/performance.md).
public enum ReplyEncoder {
    /// `{"id":n|null,"status":code,"error":"SYMBOL","message":"…"[,"required":n]}\n`.
    public static func failure(id: Int64?, error: ResolverError, allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(json: FailureLine(id: id, error: error))
    }
}

/// A successful reply to any op but a lookup: `{"id":n,"status":0,"result":` + `result` +
/// `}\n`, the result one of ``ServerInfo``, ``StatsResult``, ``CancelAllResult``,
/// ``FlushCacheResult`` or ``EmptyResult``.
public struct SuccessLine<Value: JSONWritable>: JSONWritable {
    public var id: Int64
    public var result: Value

    @inlinable
    public init(id: Int64, result: Value) {
        self.id = id
        self.result = result
    }

    @inlinable
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"id\":")
        sink.integer(id)
        sink.raw(",\"status\":0,\"result\":")
        result.write(to: &sink)
        sink.raw("}\n")
    }
}

/// A lookup's reply line: `{"id":n,"status":0,"result":{…}}\n` or a ``FailureLine``.
public struct LookupReplyLine: JSONWritable {
    public var id: Int64
    public var result: Result<LookupValue, ResolverError>

    @inlinable
    public init(id: Int64, result: Result<LookupValue, ResolverError>) {
        self.id = id
        self.result = result
    }

    @inlinable
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        switch result {
        case .success(let value):
            sink.raw("{\"id\":")
            sink.integer(id)
            sink.raw(",\"status\":0,\"result\":")
            switch value {
            case .addressInfo(let info): sink.result(info)
            case .nameInfo(let info): sink.result(info)
            case .query(let answer): sink.result(answer)
            case .host(let entry): sink.result(entry)
            case .service(let entry): sink.result(entry)
            case .protocolEntry(let entry): sink.result(entry)
            case .stale(let inner): sink.staleResult(inner)
            }
            sink.raw("}\n")
        case .failure(let error):
            FailureLine(id: id, error: error).write(to: &sink)
        }
    }
}

/// `{"id":n|null,"status":code,"error":"SYMBOL","message":"…"[,"required":n]}\n`.
public struct FailureLine: JSONWritable {
    public var id: Int64?
    public var error: ResolverError

    @inlinable
    public init(id: Int64?, error: ResolverError) {
        self.id = id
        self.error = error
    }

    @inlinable
    public func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw("{\"id\":")
        if let id { sink.integer(id) } else { sink.raw("null") }
        sink.raw(",\"status\":")
        sink.integer(error.code.rawValue)
        sink.raw(",\"error\":")
        sink.string(error.code.symbol)
        sink.raw(",\"message\":")
        sink.string(error.message)
        if let required = error.requiredBufferLength {
            sink.raw(",\"required\":")
            sink.integer(required)
        }
        sink.raw("}\n")
    }
}
