import Testing

@testable import ResolvdProtocol

/// ``Parameter``'s hand-written `init(rawValue:)` and `init(wireName:)` (see there why) against its raw values.
@Suite struct ParameterTests {
    @Test func everyWireNameReadsAsItsParameterAndNothingElseDoes() {
        for parameter in Parameter.allCases {
            #expect(Parameter(rawValue: parameter.rawValue) == parameter, "\(parameter)")
        }
        for unknown in ["", "ID", "stale ", "timeout", "names", "x"] {
            #expect(Parameter(rawValue: unknown) == nil, "\(unknown)")
        }
        #expect(Set(Parameter.allCases.map(\.bit)).count == Parameter.allCases.count)
    }

    /// The scanner's matching of keys as bytes (``Parameter/init(wireName:)``), which spells
    /// the names again.
    @Test func everyWireNameMatchesAsBytesAndNothingElseDoes() {
        for parameter in Parameter.allCases {
            #expect(Self.parameter(parameter.rawValue) == parameter, "\(parameter)")
        }
        for unknown in ["", "i", "ID", "stale ", "timeout", "names", "x", "ip", "oq", "nam", "default_routE", "timeout_mx"] {
            #expect(Self.parameter(unknown) == nil, "\(unknown)")
        }
    }

    private static func parameter(_ name: String) -> Parameter? {
        Array(name.utf8).withUnsafeBytes { Parameter(wireName: $0) }
    }

    @Test func everyParameterHasAPlaceInATable() {
        let table = Parameter.Table<Int>(repeating: 0)
        #expect(table.count == Parameter.allCases.count)
        #expect(Set(Parameter.allCases.map(\.index)) == Set(table.indices))
    }
}
