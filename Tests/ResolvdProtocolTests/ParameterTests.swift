import Testing

@testable import ResolvdProtocol

/// ``Parameter``'s hand-written `init(rawValue:)` (see there why) against its raw values.
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

    @Test func everyParameterHasAPlaceInATable() {
        let table = Parameter.Table<Int>(repeating: 0)
        #expect(table.count == Parameter.allCases.count)
        #expect(Set(Parameter.allCases.map(\.index)) == Set(table.indices))
    }
}
