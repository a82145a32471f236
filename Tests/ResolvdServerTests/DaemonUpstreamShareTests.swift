import ResolvdProtocol
import ResolverTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fair share of the upstream capacity (``UpstreamShare``): one uid holding thousands
/// of lookups on names its upstream never answers does not delay another uid's first
/// uncached lookup.
@Suite struct DaemonUpstreamShareTests {
    /// Sends the lines of a file on one connection, says so, and holds it open until killed.
    static let flooder = """
        import socket, sys, time
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(open(sys.argv[2], 'rb').read())
        print('sent', flush=True)
        time.sleep(120)
        """

    @Test func aUIDsBacklogOnASilentUpstreamDoesNotDelayAnotherUID() throws {
        let setpriv = try SystemdTestSupport.require("setpriv", package: "util-linux")
        let python = try SystemdTestSupport.require("python3", package: "python3")
        let upstream = try ScriptedUpstream.start(script: .silentForSomeNames)
        defer { upstream.stop() }
        let daemon = try DaemonProcess.start(upstream: upstream.serverAddress, timeoutMilliseconds: 30_000, tries: 1)
        defer { daemon.stop() }
        chmod(daemon.directory, 0o755)
        let root = try daemon.connect()
        let clock = ContinuousClock()
        // The upstream's own time, uncached: a lookup before the attack.
        var begin = clock.now
        #expect(root.call(#"{"id":1,"op":"query","name":"before.test","type":"A"}"#, id: 1)?.status == 0)
        let upstreamTime = clock.now - begin

        // uid 65534: 4,000 lookups of distinct names the upstream never answers.
        let count = 4_000
        let lines = (1...count).map { #"{"id":\#($0),"op":"query","name":"silent\#($0).test","type":"A"}"# }.joined(separator: "\n") + "\n"
        try writeFile(daemon.directory + "/flood", lines)
        chmod(daemon.directory + "/flood", 0o644)
        let flood = try SpawnedProcess(
            arguments: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", Self.flooder, daemon.socketPath,
                        daemon.directory + "/flood"],
            stdout: daemon.directory + "/flood.out", stderr: daemon.directory + "/flood.err")
        defer { flood.kill() }
        var nextID: Int64 = 2
        let held = root.waitForStat("in_flight", toBe: Int64(count), nextID: &nextID)
        #expect(held?["in_flight"]?.intValue == Int64(count), "the attacker's lookups are all in flight: \(String(describing: held))")

        // root's first uncached lookup is answered while every one of the attacker's lookups
        // is still in flight: it did not wait for any of them (they end only at their 30 s
        // try; without the share root's lookup queues behind them in the channels and is not
        // answered before they time out). The event order, not a time, is the proof.
        nextID += 1
        begin = clock.now
        let victim = root.call(#"{"id":\#(nextID),"op":"query","name":"victim.test","type":"A"}"#, id: nextID, timeout: .seconds(25))
        let victimTime = clock.now - begin
        #expect(victim?.status == 0, "root's lookup answered while the attacker's wait: \(String(describing: victim))")
        nextID += 1
        let after = root.call(#"{"id":\#(nextID),"op":"stats"}"#, id: nextID)?.result
        #expect(after?["in_flight"]?.intValue == Int64(count), "none of the attacker's lookups ended first: \(String(describing: after?["in_flight"]))")
        #expect(after?["timed_out"]?.intValue == 0)
        #expect(flood.isRunning)
        print("root's lookup under the attack: \(victimTime) (the upstream alone: \(upstreamTime))")
    }
}
