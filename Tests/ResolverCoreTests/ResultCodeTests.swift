import CAres
import Testing
@testable import ResolverCore

/// Every code's number and symbol, and the c-ares status → code mapping, checked against
/// tables written out here from docs/error-codes.md — never computed from the code under
/// test, so a wrong number or a wrong mapping in the code cannot also be "expected".
@Suite struct ResultCodeTests {
    /// docs/error-codes.md's table: number, symbol, and the `ResultCode` constant for it.
    static let documented: [(number: Int32, symbol: String, code: ResultCode)] = [
        (0, "NO_ERROR", .noError),
        (6, "WSA_INVALID_HANDLE", .invalidHandle),
        (8, "WSA_NOT_ENOUGH_MEMORY", .notEnoughMemory),
        (995, "ERROR_OPERATION_ABORTED", .operationAborted),
        (1168, "ERROR_NOT_FOUND", .notFound),
        (10013, "WSAEACCES", .accessDenied),
        (10022, "WSAEINVAL", .invalidArgument),
        (10037, "WSAEALREADY", .alreadyInProgress),
        (10044, "WSAESOCKTNOSUPPORT", .socketTypeNotSupported),
        (10047, "WSAEAFNOSUPPORT", .addressFamilyNotSupported),
        (10055, "WSAENOBUFS", .noBufferSpace),
        (10060, "WSAETIMEDOUT", .timedOut),
        (10109, "WSATYPE_NOT_FOUND", .typeNotFound),
        (10111, "WSA_E_CANCELLED", .cancelled),
        (11001, "WSAHOST_NOT_FOUND", .hostNotFound),
        (11002, "WSATRY_AGAIN", .tryAgain),
        (11003, "WSANO_RECOVERY", .noRecovery),
        (11004, "WSANO_DATA", .noData),
    ]

    @Test func everyCodeHasItsWindowsNumberAndSymbol() {
        for row in Self.documented {
            #expect(row.code.rawValue == row.number, "\(row.symbol)")
            #expect(row.code.symbol == row.symbol, "\(row.number)")
            #expect(ResultCode(rawValue: row.number).symbol == row.symbol, "symbol of \(row.number)")
        }
    }

    @Test func allListsExactlyTheDocumentedCodesInTheDocsOrder() {
        #expect(ResultCode.all.map(\.rawValue) == Self.documented.map(\.number))
    }

    @Test func aNumberOutsideTheTableHasAnUnknownSymbol() {
        #expect(ResultCode(rawValue: 4242).symbol == "UNKNOWN_4242")
        #expect(ResultCode(rawValue: 4242).description == "UNKNOWN_4242 (4242)")
    }

    /// Every ARES_E* that the doc's "comes from" column names, with the code the doc gives
    /// it, plus the two cancel statuses resolvd maps for completeness. The c-ares numbers are
    /// written out (ares.h of 1.18.1) so a renumbered constant would show up here too.
    static let aresMapping: [(status: Int32, aresNumber: Int32, name: String, code: Int32)] = [
        (ARES_ENOMEM, 15, "ARES_ENOMEM", 8),
        (ARES_EBADNAME, 8, "ARES_EBADNAME", 10022),
        (ARES_EBADQUERY, 7, "ARES_EBADQUERY", 10022),
        (ARES_EBADFLAGS, 18, "ARES_EBADFLAGS", 10022),
        (ARES_EBADHINTS, 20, "ARES_EBADHINTS", 10022),
        (ARES_EBADSTR, 17, "ARES_EBADSTR", 10022),
        (ARES_EBADFAMILY, 9, "ARES_EBADFAMILY", 10047),
        (ARES_ESERVICE, 25, "ARES_ESERVICE", 10109),
        (ARES_ENOTFOUND, 4, "ARES_ENOTFOUND", 11001),
        (ARES_ENONAME, 19, "ARES_ENONAME", 11001),
        (ARES_ETIMEOUT, 12, "ARES_ETIMEOUT", 11002),
        (ARES_ESERVFAIL, 3, "ARES_ESERVFAIL", 11002),
        (ARES_ECONNREFUSED, 11, "ARES_ECONNREFUSED", 11002),
        (ARES_EOF, 13, "ARES_EOF", 11002),
        (ARES_EBADRESP, 10, "ARES_EBADRESP", 11002),
        (ARES_EREFUSED, 6, "ARES_EREFUSED", 11003),
        (ARES_EFORMERR, 2, "ARES_EFORMERR", 11003),
        (ARES_ENOTIMP, 5, "ARES_ENOTIMP", 11003),
        (ARES_ENODATA, 1, "ARES_ENODATA", 11004),
        (ARES_ECANCELLED, 24, "ARES_ECANCELLED", 10111),
        (ARES_EDESTRUCTION, 16, "ARES_EDESTRUCTION", 995),
    ]

    @Test func everyDocumentedCAresStatusMapsToItsCode() {
        for row in Self.aresMapping {
            #expect(row.status == row.aresNumber, "\(row.name) is \(row.aresNumber) in c-ares 1.18.1")
            let error = ResolverError.fromAres(row.status, name: "host.test")
            #expect(error.code.rawValue == row.code, "\(row.name) → \(error.code), the doc says \(row.code)")
            #expect(error.message.hasPrefix("host.test: "), "\(row.name): the message names the lookup")
            #expect(error.requiredBufferLength == nil)
        }
    }

    /// A status the table does not name (ARES_EFILE, say) is a permanent failure, not success.
    @Test func anUnlistedCAresStatusIsNoRecovery() {
        #expect(ResolverError.fromAres(ARES_EFILE, name: "x").code.rawValue == 11003)
        #expect(ResolverError.fromAres(ARES_ENOTINITIALIZED, name: "x").code.rawValue == 11003)
    }
}
