import NIOConcurrencyHelpers
import ResolvdProtocol
import ResolverCore

/// What connections need for admin operations: the current ``AdminPolicy`` (replaced on
/// every successful reload), the daemon's reload, which the `reload` op triggers, and its
/// link changes (`link`, `revert_link`, docs/routing.md) with the links last set.
///
/// It neither reads credentials (``PeerCredentials``) nor decides (``AdminPolicy``); it
/// is the one shared place both come together, so `flush_cache` can use the same check.
final class AdminControl: Sendable {
    typealias Reload = @Sendable () async -> Result<Void, ConfigurationError>
    typealias SetLink = @Sendable (LinkSettings) async -> Result<Void, ResolverError>
    typealias RevertLink = @Sendable (String) async -> Bool

    private struct State {
        var policy = AdminPolicy()
        var reload: Reload?
        var setLink: SetLink?
        var revertLink: RevertLink?
        var links = LinkTable()
    }

    private let state = NIOLockedValueBox(State())

    var policy: AdminPolicy {
        get { state.withLockedValue { $0.policy } }
        set { state.withLockedValue { $0.policy = newValue } }
    }

    /// The links in use, as the daemon last set them (for `routes`).
    var links: LinkTable {
        get { state.withLockedValue { $0.links } }
        set { state.withLockedValue { $0.links = newValue } }
    }

    func setLinkHandlers(set: @escaping SetLink, revert: @escaping RevertLink) {
        state.withLockedValue {
            $0.setLink = set
            $0.revertLink = revert
        }
    }

    /// Sets an interface's DNS settings through the daemon (it checks and bounds them).
    func setLink(_ settings: LinkSettings) async -> Result<Void, ResolverError> {
        guard let setLink = state.withLockedValue({ $0.setLink }) else { return .failure(.invalidArgument("this server has no links")) }
        return await setLink(settings)
    }

    /// Drops an interface's settings; false when it had none.
    func revertLink(_ interface: String) async -> Bool {
        guard let revertLink = state.withLockedValue({ $0.revertLink }) else { return false }
        return await revertLink(interface)
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
