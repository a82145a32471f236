import Dispatch
import NIOCore
import NIOPosix
import ResolvdServer
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// resolvd under `Type=notify`, with this test playing the service manager: it binds the
/// notify socket, sets NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, and reads what comes.
@Suite struct SystemdNotifyTests {
    /// A resolvd started with a notify socket; stops it on deinit.
    final class NotifiedDaemon {
        let directory: String
        let socketPath: String
        let configPath: String
        let listener: NotifyListener
        let process: SpawnedProcess

        /// - Parameters:
        ///   - watchdogPID: nil sets WATCHDOG_PID to resolvd's own pid (through `exec`).
        init(config: String, upstream: String?, watchdogMicroseconds: Int? = nil, watchdogPID: String? = nil) throws {
            directory = try SystemdTestSupport.makeTemporaryDirectory()
            socketPath = directory + "/resolvd.sock"
            configPath = directory + "/resolvd.conf"
            // The test's settings first; a key the test's text repeats wins (the last one counts).
            try writeFile(configPath, "timeout_ms = 2000\ntries = 2\n" + DaemonProcess.databaseConfiguration(in: directory) + config)
            listener = try NotifyListener(path: directory + "/notify.sock")
            var extra = ["NOTIFY_SOCKET": listener.path]
            if let watchdogMicroseconds { extra["WATCHDOG_USEC"] = String(watchdogMicroseconds) }
            if let watchdogPID { extra["WATCHDOG_PID"] = watchdogPID }
            // Timeout and tries come from the test's file (its reload test changes them there).
            let arguments = [DaemonProcess.executable, "--config", configPath, "--socket", socketPath, "--log-level", "info"]
                + DaemonProcess.hermeticArguments(timeoutMilliseconds: nil, tries: nil)
                + (upstream.map { ["--dns", $0] } ?? [])
            // `exec` keeps the shell's pid, so $$ is resolvd's pid, as systemd sets WATCHDOG_PID.
            let script = watchdogPID == nil && watchdogMicroseconds != nil ? "WATCHDOG_PID=$$ exec \"$@\"" : "exec \"$@\""
            process = try SpawnedProcess(
                arguments: ["/bin/sh", "-c", script, "sh"] + arguments,
                environment: SystemdTestSupport.environment(adding: extra, removing: SystemdIntegration.environmentVariables),
                stdout: "/dev/null", stderr: directory + "/stderr.log")
        }

        var log: String { (try? readWholeFile(directory + "/stderr.log")) ?? "" }

        /// Replaces the configuration file (for reload tests), keeping the test databases.
        func rewriteConfig(_ text: String) throws {
            try writeFile(configPath, DaemonProcess.databaseConfiguration(in: directory) + text)
        }

        deinit {
            process.stop()
            SystemdTestSupport.removeTree(directory)
        }
    }

    /// READY=1 comes once the socket answers (never before), with a useful STATUS= (the
    /// metrics' port too, the kernel's choice for `metrics_listen = 127.0.0.1:0`);
    /// WATCHDOG=1 keeps coming; SIGHUP is RELOADING=1 (with MONOTONIC_USEC) then READY=1;
    /// SIGTERM is STOPPING=1 and exit 0.
    @Test func readinessWatchdogReloadAndStopping() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try NotifiedDaemon(config: "metrics_listen = 127.0.0.1:0\n", upstream: unbound.serverAddress, watchdogMicroseconds: 400_000)
        let (ready, beforeReady) = daemon.listener.waitFor("READY", value: "1", timeout: .seconds(30))
        let readyMessage = try #require(ready, "no READY=1: \(daemon.log)")
        #expect(beforeReady.count == 1, "nothing before READY=1: \(beforeReady.map(\.text))")
        // The moment READY=1 arrives, the socket must already answer.
        let client = try LineClient(path: daemon.socketPath)
        #expect(client.call(#"{"id":1,"op":"hello"}"#, id: 1)?.status == 0)
        let status = readyMessage.fields["STATUS"] ?? ""
        #expect(status.contains("listening on \(daemon.socketPath)"), "STATUS=\(status)")
        #expect(status.contains("1 upstream") && status.contains("in flight"), "STATUS=\(status)")
        let metricsURL = try #require(status.split(separator: "; ").flatMap { $0.split(separator: ", ") }.first { $0.hasPrefix("metrics on http://127.0.0.1:") }, "STATUS=\(status)")
        let metricsPort = Int(metricsURL.dropFirst("metrics on http://127.0.0.1:".count).prefix(while: \.isNumber)) ?? 0
        #expect(metricsPort > 0 && metricsURL.hasSuffix("/metrics"), "STATUS=\(status)")
        #expect(daemon.log.contains("resolvd: serving metrics on http://127.0.0.1:\(metricsPort)/metrics\n"), "\(daemon.log)")

        // WATCHDOG_USEC=400 ms: a ping about every 200 ms.
        var pings = 0
        let window = ContinuousClock.now + .milliseconds(1500)
        while ContinuousClock.now < window, let message = daemon.listener.next(timeout: window - .now) {
            if message.fields["WATCHDOG"] == "1" { pings += 1 }
        }
        #expect(pings >= 4, "\(pings) WATCHDOG=1 in 1.5 s")

        daemon.process.signal(SIGHUP)
        let (reloading, _) = daemon.listener.waitFor("RELOADING", value: "1")
        let reloadingMessage = try #require(reloading, "no RELOADING=1: \(daemon.log)")
        #expect(UInt64(reloadingMessage.fields["MONOTONIC_USEC"] ?? "").map { $0 > 0 } == true, "\(reloadingMessage.text)")
        let (readyAgain, _) = daemon.listener.waitFor("READY", value: "1")
        #expect(readyAgain != nil, "READY=1 after the reload")
        #expect(client.call(#"{"id":2,"op":"query","name":"www.example.test","type":"A"}"#, id: 2)?.status == 0)

        daemon.process.signal(SIGTERM)
        let (stopping, _) = daemon.listener.waitFor("STOPPING", value: "1")
        #expect(stopping != nil, "STOPPING=1 on SIGTERM")
        #expect(daemon.process.waitForExit() == 0)
    }

    /// WATCHDOG_PID naming another process: the watchdog is not ours, no pings.
    @Test func watchdogForAnotherPIDIsIgnored() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let daemon = try NotifiedDaemon(config: "", upstream: unbound.serverAddress, watchdogMicroseconds: 200_000, watchdogPID: "1")
        #expect(daemon.listener.waitFor("READY", value: "1", timeout: .seconds(30)).match != nil, "READY=1: \(daemon.log)")
        let (ping, _) = daemon.listener.waitFor("WATCHDOG", timeout: .milliseconds(800))
        #expect(ping == nil, "no WATCHDOG=1 for WATCHDOG_PID=1")
    }

    /// Lookups in flight across a SIGHUP all complete; a broken file on reload keeps the
    /// running configuration and says so in STATUS= and the log; the `reload` op reports it.
    @Test func reloadUnderLoadAndBrokenConfiguration() throws {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        defer { proxy.stop() }
        proxy.hold()
        let good = "dns = \(proxy.serverAddress)\ntimeout_ms = 3000\ntries = 2\n"
        let daemon = try NotifiedDaemon(config: good, upstream: nil)
        #expect(daemon.listener.waitFor("READY", value: "1", timeout: .seconds(30)).match != nil, "READY=1: \(daemon.log)")
        let client = try LineClient(path: daemon.socketPath)
        let lookups = 200
        for index in 1...lookups {
            client.send(#"{"id":\#(index),"op":"getaddrinfo","name":"r\#(index).wild.example.test","socktype":"stream"}"#)
        }
        // Every lookup (A and AAAA each) answered upstream and held at the gate: all in flight.
        #expect(proxy.waitUntil(repliesHeld: 2 * lookups))
        try daemon.rewriteConfig(good + "tries = 3\n")
        daemon.process.signal(SIGHUP)
        #expect(daemon.listener.waitFor("RELOADING", value: "1").match != nil)
        let readyAfterReload = daemon.listener.waitFor("READY", value: "1").match
        #expect(readyAfterReload?.fields["STATUS"]?.contains("failed") == false, "\(readyAfterReload?.text ?? "no READY=1")")
        proxy.release()
        var statuses: [Int64: Int64] = [:]
        while statuses.count < lookups, let reply = client.reply(timeout: .seconds(10)) {
            if let id = reply.id { statuses[id] = reply.status }
        }
        #expect(statuses.count == lookups, "every lookup in flight across the reload was answered")
        #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses.filter { $0.value != 0 })")

        // A broken file: RELOADING=1, then READY=1 whose STATUS= names the problem; still serving.
        try daemon.rewriteConfig(good + "no_such_key = 1\n")
        daemon.process.signal(SIGHUP)
        #expect(daemon.listener.waitFor("RELOADING", value: "1").match != nil)
        let readyAfterFailure = try #require(daemon.listener.waitFor("READY", value: "1").match)
        let status = readyAfterFailure.fields["STATUS"] ?? ""
        #expect(status.contains("reload failed") && status.contains("no_such_key"), "STATUS=\(status)")
        #expect(daemon.log.contains("reload failed") && daemon.log.contains("no_such_key"))
        let id = Int64(lookups + 1)
        #expect(client.call(#"{"id":\#(id),"op":"query","name":"www.example.test","type":"A"}"#, id: id)?.status == 0)

        // The `reload` op (root may) reports the same failure, then succeeds once fixed.
        let failed = try #require(client.call(#"{"id":\#(id + 1),"op":"reload"}"#, id: id + 1))
        #expect(failed.status == 10022 && failed["message"]?.stringValue?.contains("no_such_key") == true, "\(failed)")
        try daemon.rewriteConfig(good)
        #expect(client.call(#"{"id":\#(id + 2),"op":"reload"}"#, id: id + 2)?.status == 0)
        // Two more READY=1 arrived (the failed reload's, then this one's): the last has no failure.
        var lastReady: NotifyListener.Message?
        while let message = daemon.listener.next(timeout: .milliseconds(500)) {
            if message.fields["READY"] == "1" { lastReady = message }
        }
        #expect(lastReady?.fields["STATUS"]?.contains("failed") == false, "\(lastReady?.text ?? "no READY=1")")
    }

    /// In process: a stuck event loop stops the pings, and they resume when it recovers.
    @Test func hungEventLoopStopsWatchdogPings() throws {
        let directory = try SystemdTestSupport.makeTemporaryDirectory()
        defer { SystemdTestSupport.removeTree(directory) }
        let listener = try NotifyListener(path: directory + "/notify.sock")
        let notifier = try #require(SystemdNotifier(notifySocket: listener.path))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let watchdog = Watchdog(interval: .milliseconds(200), notifier: notifier, group: group)
        watchdog.start()
        defer { watchdog.stop() }
        #expect(listener.waitFor("WATCHDOG", value: "1", timeout: .seconds(2)).match != nil)
        for loop in Array(group.makeIterator()) {
            // The loop hangs until the test lets it go: however slow the machine, the
            // window below is inside the hang.
            let hung = DispatchSemaphore(value: 0)
            let recover = DispatchSemaphore(value: 0)
            loop.execute {
                hung.signal()
                recover.wait()
            }
            #expect(hung.wait(timeout: .now() + 10) == .success)
            // A round answered before the hang may still arrive: wait out two intervals, drop it.
            usleep(400_000)
            while listener.next(timeout: .zero) != nil {}
            let (during, _) = listener.waitFor("WATCHDOG", value: "1", timeout: .milliseconds(1000))
            #expect(during == nil, "no WATCHDOG=1 while an event loop hangs")
            recover.signal()
            let (after, _) = listener.waitFor("WATCHDOG", value: "1", timeout: .seconds(5))
            #expect(after != nil, "pings resume once the loop answers")
        }
    }

    /// sd_notify's environment rules: `LISTEN_PID` and `WATCHDOG_PID` must be this process.
    @Test func environmentIsOnlyForItsPID() throws {
        let me = getpid()
        let other = try SystemdIntegration.fromEnvironment(["LISTEN_PID": "1", "LISTEN_FDS": "1", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"], pid: me)
        #expect(other.listenSockets.isEmpty && other.watchdogInterval == nil && other.notifier == nil)
        let mine = try SystemdIntegration.fromEnvironment(["WATCHDOG_USEC": "1000000", "NOTIFY_SOCKET": "@resolvd-test"], pid: me)
        #expect(mine.watchdogInterval == .seconds(1) && mine.notifier?.socketPath == "@resolvd-test")
    }
}
