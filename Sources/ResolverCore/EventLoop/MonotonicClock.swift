#if canImport(Glibc)
import Glibc
#endif

/// CLOCK_MONOTONIC: the one clock of the engine and the daemon — lookup deadlines and the
/// channel loops' wake-ups (nanoseconds), request latency (microseconds) and cache expiry
/// (milliseconds).
///
/// It is not a wall clock and does not count time the machine spends suspended; nothing
/// here compares it with times from other processes (the systemd notifier sends it as
/// MONOTONIC_USEC, which systemd reads from the same clock).
package enum MonotonicClock {
    /// Nanoseconds.
    @inlinable
    package static func now() -> UInt64 {
        let spec = read()
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Microseconds.
    @inlinable
    package static func microseconds() -> UInt64 {
        let spec = read()
        return UInt64(spec.tv_sec) &* 1_000_000 &+ UInt64(spec.tv_nsec) / 1000
    }

    /// Milliseconds.
    @inlinable
    package static func milliseconds() -> UInt64 {
        let spec = read()
        return UInt64(spec.tv_sec) &* 1000 &+ UInt64(spec.tv_nsec) / 1_000_000
    }

    /// The deadline `timeout` after `now` (nanoseconds, ``now()``) in ``milliseconds()``,
    /// rounded up: truncated, a deadline kept in whole milliseconds would come up to a
    /// millisecond before `timeout` has passed.
    package static func millisecondDeadline(after timeout: Duration, from now: UInt64 = now()) -> UInt64 {
        let (end, overflow) = now.addingReportingOverflow(nanoseconds(timeout))
        return overflow ? UInt64.max / 1_000_000 : end / 1_000_000 + (end % 1_000_000 == 0 ? 0 : 1)
    }

    /// The time left until `deadline` (in ``milliseconds()``), at least a millisecond: a
    /// lookup started that late still gets one try at its deadline rather than none.
    package static func millisecondsLeft(until deadline: UInt64) -> Duration {
        let now = milliseconds()
        return .milliseconds(deadline > now ? Int64(clamping: deadline - now) : 1)
    }

    /// Whole seconds from `start` to `now` (both in ``milliseconds()``), 0 when `now` is
    /// earlier: threads read the clock before taking a shared lock, so a reader's `now` can
    /// be a millisecond behind a time another thread stored under that lock meanwhile.
    @inlinable
    package static func secondsElapsed(from start: UInt64, to now: UInt64) -> UInt32 {
        now > start ? UInt32(clamping: (now - start) / 1000) : 0
    }

    /// `now()` plus `duration`, saturating.
    package static func deadline(after duration: Duration) -> UInt64 {
        let (sum, overflow) = now().addingReportingOverflow(nanoseconds(duration))
        return overflow ? .max : sum
    }

    /// `duration` in nanoseconds: 0 for a negative one, saturating for one too long.
    package static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = whole.addingReportingOverflow(UInt64(max(0, attoseconds / 1_000_000_000)))
        return overflow || carry ? .max : sum
    }

    @usableFromInline
    static func read() -> timespec {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return spec
    }
}
