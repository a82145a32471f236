import NIOPosix

/// The daemon's systemd-facing status: the STATUS= line and the watchdog.
extension ResolvdDaemon {
    /// One line for `systemctl status`: where it listens (the metrics' bound address too),
    /// the upstreams, what is in flight, and a failed reload until the next one succeeds.
    func statusText() -> String {
        let servers = configuration.resolver.servers
        var text = "listening on \(listeningDescription)"
        if systemd.isSocketActivated { text += " (socket activation)" }
        if let metricsAddress { text += ", metrics on http://\(metricsAddress)/metrics" }
        text += "; \(servers.count) upstream\(servers.count == 1 ? "" : "s")"
        text += "; \(stats.inFlight.load(ordering: .relaxed)) lookups in flight"
        text += ", \(stats.connections.load(ordering: .relaxed)) connections"
        if let reloadProblem { text += "; last reload failed, running configuration kept: \(reloadProblem)" }
        return text
    }

    /// Sends STATUS= every few seconds while it changes, so in-flight counts stay current.
    func refreshStatus() async {
        guard let notifier = systemd.notifier else { return }
        var last = ""
        while !Task.isCancelled {
            let text = statusText()
            if text != last {
                notifier.status(text)
                last = text
            }
            try? await Task.sleep(for: .seconds(5))
        }
    }

    /// Starts WATCHDOG=1 pings when systemd asked for them.
    func startWatchdog() -> Watchdog? {
        guard let notifier = systemd.notifier, let interval = systemd.watchdogInterval else { return nil }
        let watchdog = Watchdog(interval: interval, notifier: notifier, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        watchdog.start()
        logger.info("watchdog enabled", metadata: ["interval": "\(interval)"])
        return watchdog
    }
}
