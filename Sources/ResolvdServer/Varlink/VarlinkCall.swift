import NIOCore
import ResolvdProtocol

/// One Varlink method call as it arrived: `{"method", "parameters"?, "oneway"?, "more"?}`.
///
/// It checks the envelope only; the parameters are the method's business
/// (``VarlinkResolveRequest``). A message that is not such an object is a protocol
/// error: the connection is closed, as systemd's sd-varlink does.
struct VarlinkCall {
    var method: String
    var parameters: JSONObject
    /// The client wants no reply.
    var oneway: Bool
    /// The client accepts several replies; the methods served here answer once either way.
    var more: Bool

    struct ProtocolError: Error, CustomStringConvertible {
        var description: String
    }

    init(parsing message: ByteBuffer) throws(ProtocolError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(message)
        } catch {
            throw ProtocolError(description: "not JSON: \(error)")
        }
        guard case .object(let object) = value else { throw ProtocolError(description: "a message must be a JSON object") }
        for key in object.keys where !["method", "parameters", "oneway", "more", "upgrade"].contains(key) {
            throw ProtocolError(description: "unknown member \"\(key)\" in a call")
        }
        guard let method = object["method"]?.stringValue else { throw ProtocolError(description: "a call needs a \"method\" string") }
        self.method = method
        switch object["parameters"] {
        case nil, .null?: parameters = JSONObject()
        case .object(let given)?: parameters = given
        default: throw ProtocolError(description: "\"parameters\" must be an object")
        }
        func flag(_ key: String) throws(ProtocolError) -> Bool {
            switch object[key] {
            case nil, .null?: return false
            case .bool(let value)?: return value
            default: throw ProtocolError(description: "\"\(key)\" must be a boolean")
            }
        }
        oneway = try flag("oneway")
        more = try flag("more")
        if try flag("upgrade") { throw ProtocolError(description: "connection upgrades are not supported") }
    }
}

/// Writing Varlink replies: one JSON object and a NUL byte each.
enum VarlinkReply {
    /// `{"parameters":{…}}`
    static func success(_ parameters: JSONObject, allocator: ByteBufferAllocator) -> ByteBuffer {
        encode(["parameters": .object(parameters)], allocator: allocator)
    }

    /// `{"error":"name","parameters":{…}}`
    static func failure(_ error: VarlinkError, allocator: ByteBufferAllocator) -> ByteBuffer {
        encode(["error": .string(error.name), "parameters": .object(error.parameters)], allocator: allocator)
    }

    private static func encode(_ object: JSONObject, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeJSONValue(.object(object))
        buffer.writeInteger(UInt8(0))
        return buffer
    }
}
