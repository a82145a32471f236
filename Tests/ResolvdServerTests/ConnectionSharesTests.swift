import Testing

@testable import ResolvdServer

/// ``ConnectionShares`` on its own: the per-uid share, the admins' slots, the total.
@Suite struct ConnectionSharesTests {
    let limits = ConnectionShares.Limits(maxConnections: 6, perUID: 2, adminReserved: 2)

    @Test func aUIDGetsItsShareAndNoMore() {
        var shares = ConnectionShares()
        #expect(shares.admit(uid: 1000, limits: limits) { false } == .admit)
        #expect(shares.admit(uid: 1000, limits: limits) { false } == .admit)
        #expect(shares.admit(uid: 1000, limits: limits) { false } == .refuseUIDShare)
        #expect(shares.admit(uid: 1001, limits: limits) { false } == .admit, "another uid is not affected")
        shares.release(uid: 1000)
        #expect(shares.admit(uid: 1000, limits: limits) { false } == .admit, "a closed connection gives its slot back")
        #expect(shares.total == 3 && shares.byUID == [1000: 2, 1001: 1])
    }

    @Test func theLastSlotsAreForAdminsAndTheTotalForEveryone() {
        var shares = ConnectionShares()
        for uid: UInt32 in [1, 1, 2, 2] { #expect(shares.admit(uid: uid, limits: limits) { false } == .admit) }
        #expect(shares.admit(uid: 3, limits: limits) { false } == .refuseReservedForAdmins)
        var asked = false
        #expect(shares.admit(uid: 0, limits: limits) { asked = true; return true } == .admit)
        #expect(asked)
        #expect(shares.admit(uid: 0, limits: limits) { true } == .admit, "an admin is not held to the per-uid share")
        #expect(shares.admit(uid: 0, limits: limits) { true } == .refuseFull)
        #expect(shares.total == 6)
    }

    @Test func adminStatusIsAskedOnlyWhenItMatters() {
        var shares = ConnectionShares()
        var asked = 0
        #expect(shares.admit(uid: 7, limits: limits) { asked += 1; return false } == .admit)
        #expect(asked == 0)
    }

    @Test func peersWithoutCredentialsShareOneUIDsWorth() {
        var shares = ConnectionShares()
        #expect(shares.admit(uid: nil, limits: limits) { false } == .admit)
        #expect(shares.admit(uid: nil, limits: limits) { false } == .admit)
        #expect(shares.admit(uid: nil, limits: limits) { false } == .refuseUIDShare)
        shares.release(uid: nil)
        #expect(shares.admit(uid: nil, limits: limits) { false } == .admit)
    }
}
