import NIOCore
import ResolvdProtocol
import ResolverCore

/// ResolveHostname's successful reply, written straight into the message buffer:
/// `{"parameters":{"addresses":[{"family":…,"address":[…]},…],"name":…,"flags":…}}` — the
/// same bytes as ``VarlinkReply/success(_:allocator:)`` writes of
/// ``VarlinkResolveRequest/reply(to:origin:)``'s parameters (each address once, by its text,
/// in the answer's order), without the `JSONValue` tree in between: nss-resolve's every
/// getaddrinfo is answered with one, and building then serialising the tree was ~17,000
/// instructions per call (docs/performance.md).
///
/// It does not write failures, or replies of the other methods: those go through the tree.
struct VarlinkHostnameReply: JSONWritable {
    private let addresses: [IPAddress]
    private let name: String
    private let flags: UInt64

    /// Nil when the answer holds no address (the reply is then NoSuchResourceRecord).
    init?(_ info: AddressInfo, name: String, flags: UInt64) {
        var addresses: [IPAddress] = []
        addresses.reserveCapacity(info.addresses.count)
        // Each text once: by comparison with the earlier ones for the usual handful, by a
        // set beyond (an answer may hold thousands).
        var seen: Set<String>? = info.addresses.count > 16 ? [] : nil
        for (index, address) in info.addresses.enumerated() {
            if seen != nil {
                guard seen!.insert(address.address).inserted else { continue }
            } else if info.addresses[..<index].contains(where: { $0.address == address.address }) {
                continue
            }
            guard let parsed = IPAddress(parsing: address.address) else { continue }
            addresses.append(parsed)
        }
        guard !addresses.isEmpty else { return nil }
        self.addresses = addresses
        self.name = info.canonicalName ?? name
        self.flags = flags
    }

    func write<Sink: JSONSink>(to sink: inout Sink) {
        sink.raw(#"{"parameters":{"addresses":["#)
        for (index, address) in addresses.enumerated() {
            if index > 0 { sink.raw(",") }
            sink.raw(#"{"family":"#)
            sink.integer(VarlinkResolveRequest.familyNumber(address))
            sink.raw(#","address":["#)
            address.withBytes { bytes in
                for (offset, byte) in bytes.enumerated() {
                    if offset > 0 { sink.raw(",") }
                    sink.integer(Int64(byte))
                }
            }
            sink.raw("]}")
        }
        sink.raw(#"],"name":"#)
        sink.string(name)
        sink.raw(#","flags":"#)
        sink.integer(Int64(flags))
        sink.raw("}}")
    }

    /// The whole message: the reply and the NUL that ends it.
    func message(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeJSON(self)
        buffer.writeInteger(UInt8(0))
        return buffer
    }
}
