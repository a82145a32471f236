import NIOCore
import ResolverTypes
import Testing

@testable import ResolvdProtocol

/// The constant reply text of an address's enum members (ResolvedAddress+WireText.swift),
/// which spells their raw values again: every combination reads back as the raw values.
@Suite struct ReplyWireTextTests {
    @Test func everyFamilySocketTypeAndTransportReadsBackAsItsRawValue() throws {
        for family in AddressFamily.allCases {
            for socketType in SocketType.allCases {
                for transport in TransportProtocol.allCases.map(Optional.some) + [nil] {
                    let address = ResolvedAddress(
                        family: family, address: "a\"b", port: 53, socketType: socketType, transport: transport, ttl: 7)
                    let info = AddressInfo(canonicalName: nil, addresses: [address, address])
                    var buffer = ByteBuffer()
                    buffer.writeJSON(LookupReplyLine(id: 1, result: .success(.addressInfo(info))))
                    let text = String(buffer: buffer)
                    let member: JSONValue = [
                        "family": .string(family.rawValue), "address": "a\"b", "port": 53,
                        "socktype": .string(socketType.rawValue), "protocol": transport.map { .string($0.rawValue) } ?? .null,
                        "ttl": 7,
                    ]
                    let expected: JSONValue = [
                        "id": 1, "status": 0, "result": ["canonical_name": .null, "addresses": [member, member]],
                    ]
                    #expect(text.last == "\n")
                    #expect(try JSONParser.parse(String(text.dropLast())) == expected, "\(text)")
                }
            }
        }
    }
}
