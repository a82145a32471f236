import ResolverTypes
import Testing

@testable import ResolvdProtocol

/// ``WireNames``: the scanner's matching of enum values as bytes names exactly the case
/// `init(rawValue:)` names, and nothing for any other text.
@Suite struct WireNamesTests {
    private func expectMatchesRawValues<Case: WireNamed & Equatable>(_: Case.Type) {
        for value in Case.allCases {
            let text = value.rawValue
            for variant in [text, text + "x", String(text.dropLast()), String(text.dropFirst()), text.uppercased(), " " + text] {
                #expect(Self.named(variant, Case.self) == Case(rawValue: variant), "\(variant)")
            }
            #expect(Self.named(text, Case.self) == value)
        }
        #expect(Self.named("", Case.self) == nil)
    }

    private static func named<Case: WireNamed>(_ text: String, _: Case.Type) -> Case? {
        Array(text.utf8).withUnsafeBytes { Case.wireNameTable.value(named: $0) }
    }

    @Test func everyCaseOfEveryWireNamedEnum() {
        expectMatchesRawValues(Operation.self)
        expectMatchesRawValues(AddressFamily.self)
        expectMatchesRawValues(SocketType.self)
        expectMatchesRawValues(TransportProtocol.self)
    }
}
