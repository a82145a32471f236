import NIOConcurrencyHelpers

/// What connections need for admin operations: the current ``AdminPolicy`` (replaced on
/// every successful reload) and the daemon's reload, which the `reload` op triggers.
///
/// It neither reads credentials (``PeerCredentials``) nor decides (``AdminPolicy``); it
/// is the one shared place both come together, so `flush_cache` can use the same check.
final class AdminControl: Sendable {
    typealias Reload = @Sendable () async -> Result<Void, ConfigurationError>

    private struct State {
        var policy = AdminPolicy()
        var reload: Reload?
    }

    private let state = NIOLockedValueBox(State())

    var policy: AdminPolicy {
        get { state.withLockedValue { $0.policy } }
        set { state.withLockedValue { $0.policy = newValue } }
    }

    func setReload(_ reload: @escaping Reload) {
        state.withLockedValue { $0.reload = reload }
    }

    /// Runs the daemon's reload (the same as SIGHUP) and returns how it went.
    func reload() async -> Result<Void, ConfigurationError> {
        guard let reload = state.withLockedValue({ $0.reload }) else {
            return .failure(ConfigurationError("this server cannot reload"))
        }
        return await reload()
    }
}
