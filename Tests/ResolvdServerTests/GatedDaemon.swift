import ResolvdServer
import ResolverTesting
import Testing

/// A daemon whose upstream is the shared unbound behind a ``DelayingProxy`` with a gate:
/// `proxy.hold()` keeps every upstream reply at the proxy, so a test can know a lookup is in
/// flight (its query answered upstream, the answer not yet seen by resolvd) instead of
/// guessing with a sleep.
struct GatedDaemon {
    let proxy: DelayingProxy
    let daemon: DaemonProcess

    /// c-ares gets one try of 30 s: a reply kept at the gate is never retried or given up
    /// on while a test runs, so only the test (release, cancel, `timeout_ms`) ends a lookup.
    /// A test of what happens when the upstream gives up passes a shorter try.
    static func start(config: String = "", timeoutMilliseconds: Int = 30_000, extraArguments: [String] = []) throws -> GatedDaemon {
        let unbound = try DaemonOperationTests.unbound.get()
        let proxy = try DelayingProxy.start(upstreamPort: unbound.port, delay: .zero)
        do {
            let daemon = try DaemonProcess.start(
                upstream: proxy.serverAddress, config: config, timeoutMilliseconds: timeoutMilliseconds, tries: 1,
                extraArguments: extraArguments)
            return GatedDaemon(proxy: proxy, daemon: daemon)
        } catch {
            proxy.stop()
            throw error
        }
    }

    func connect() throws -> LineClient { try daemon.connect() }

    func stop() {
        daemon.stop()
        proxy.stop()
    }
}

extension LineClient {
    /// The next `count` replies in arrival order; fails the test if one does not come.
    func replies(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> [JSONObject] {
        try (0..<count).map { _ in try #require(reply(), "a reply did not come", sourceLocation: sourceLocation) }
    }

    /// Sends `text` exactly as given, in one write: no "\n" is added.
    func sendBytes(_ text: String) { sendRaw(Array(text.utf8)) }
}
