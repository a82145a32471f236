import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Sends `WATCHDOG=1` every half `WATCHDOG_USEC`, but only while every event loop that
/// serves connections is responsive.
///
/// Each tick runs *on* one of the group's loops and submits a no-op to every loop of the
/// group; the ping goes out when all of them have run it. A loop that is stuck never runs
/// its no-op (or, if it is the ticking loop, never ticks), so the pings stop and systemd
/// restarts the service after `WatchdogSec=`. While a round is unanswered no new round
/// starts, so a hung loop does not pile up work.
///
/// It does not watch the resolver's channel threads (they answer or time out on their
/// own) and it does not read the environment (``SystemdIntegration`` does).
public final class Watchdog: Sendable {
    private let notifier: SystemdNotifier
    private let group: any EventLoopGroup
    private let period: TimeAmount
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    private struct State {
        var task: RepeatedTask?
        var roundOutstanding = false
        var skippedRounds = 0
    }

    /// - Parameters:
    ///   - interval: `WATCHDOG_USEC`; pings go out every half of it.
    ///   - group: the event loops that serve connections.
    public init(interval: Duration, notifier: SystemdNotifier, group: any EventLoopGroup, logger: Logger = Logger(label: "resolvd")) {
        let nanoseconds = interval.components.seconds * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
        self.period = .nanoseconds(max(1_000_000, nanoseconds / 2))
        self.notifier = notifier
        self.group = group
        self.logger = logger
    }

    /// Starts pinging (the first ping right away); calling it twice does nothing.
    public func start() {
        let loop = group.next()
        state.withLockedValue { state in
            guard state.task == nil else { return }
            state.task = loop.scheduleRepeatedTask(initialDelay: .zero, delay: period) { [self] _ in
                tick(on: loop)
            }
        }
    }

    /// Stops pinging.
    public func stop() {
        state.withLockedValue { state in
            state.task?.cancel()
            state.task = nil
        }
    }

    private func tick(on loop: any EventLoop) {
        let skipped: Int? = state.withLockedValue { state in
            if state.roundOutstanding {
                state.skippedRounds += 1
                return state.skippedRounds
            }
            state.roundOutstanding = true
            return nil
        }
        if let skipped {
            if skipped == 1 { logger.warning("watchdog: an event loop did not answer; no WATCHDOG=1 until it does") }
            return
        }
        let probes = group.makeIterator().map { $0.submit {} }
        EventLoopFuture.andAllSucceed(probes, on: loop).whenComplete { [self] result in
            state.withLockedValue { state in
                state.roundOutstanding = false
                state.skippedRounds = 0
            }
            if case .success = result { notifier.watchdog() }
        }
    }
}
