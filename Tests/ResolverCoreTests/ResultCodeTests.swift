import Testing
@testable import ResolverCore

@Suite struct ResultCodeTests {
    @Test func symbolsMatchTheWindowsTable() {
        #expect(ResultCode.cancelled.symbol == "WSA_E_CANCELLED")
        #expect(ResultCode.cancelled.rawValue == 10111)
        #expect(ResultCode.invalidHandle.rawValue == 6)
        #expect(ResultCode(rawValue: 4242).symbol == "UNKNOWN_4242")
        #expect(Set(ResultCode.all.map(\.symbol)).count == ResultCode.all.count)
    }
}
