import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Logs refused connections at most once per interval, with how many there were: a user
/// who opens thousands of connections a second must not turn the daemon's log into a
/// flood of its own (one warning line per refusal was 20,000 lines in 2 s).
///
/// The first refusal after a quiet interval is logged at once; the ones after it within
/// the interval are counted and logged together when it ends (a task on `eventLoop`), with
/// the reason of the last one. It does not count refusals for `stats` (``ServerStats``).
final class RefusalLog: Sendable {
    private struct State {
        var lastLogged: NIODeadline?
        var suppressed = 0
        var lastReason = ""
        var flushScheduled = false
    }

    private let logger: Logger
    private let interval: TimeAmount
    private let state = NIOLockedValueBox(State())

    init(logger: Logger, interval: TimeAmount = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    func refused(_ reason: String, on eventLoop: any EventLoop) {
        let now = NIODeadline.now()
        let logNow = state.withLockedValue { state -> Bool in
            if let last = state.lastLogged, now - last < interval {
                state.suppressed += 1
                state.lastReason = reason
                guard !state.flushScheduled else { return false }
                state.flushScheduled = true
                eventLoop.scheduleTask(deadline: last + interval) { [self] in flush() }
                return false
            }
            state.lastLogged = now
            return true
        }
        if logNow { logger.warning("connection refused", metadata: ["reason": "\(reason)", "count": "1"]) }
    }

    private func flush() {
        let (count, reason) = state.withLockedValue { state -> (Int, String) in
            defer {
                state.suppressed = 0
                state.flushScheduled = false
                state.lastLogged = .now()
            }
            return (state.suppressed, state.lastReason)
        }
        guard count > 0 else { return }
        logger.warning(
            "connections refused", metadata: ["count": "\(count)", "last_reason": "\(reason)", "interval_s": "\(interval.nanoseconds / 1_000_000_000)"])
    }
}
