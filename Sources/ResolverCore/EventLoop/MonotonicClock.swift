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

    /// `now()` plus `duration`, saturating.
    package static func deadline(after duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = max(0, seconds) &* 1_000_000_000 &+ max(0, attoseconds / 1_000_000_000)
        let (sum, overflow) = now().addingReportingOverflow(UInt64(nanoseconds))
        return overflow ? .max : sum
    }

    @usableFromInline
    static func read() -> timespec {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return spec
    }
}
