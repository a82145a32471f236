#if canImport(Glibc)
import Glibc
#endif

/// What the service manager handed this process: listening sockets (socket activation), a
/// notification socket (`Type=notify`) and a watchdog interval (`WatchdogSec=`).
///
/// ``fromEnvironment(_:pid:)`` only interprets variables; ``takeFromProcessEnvironment()``
/// also removes them from the process environment, as sd_listen_fds(3) and sd_notify(3) do
/// with `unset_environment`, so nothing resolvd might start inherits them. Outside systemd
/// every field is empty and the daemon behaves as before (binds its configured path).
public struct SystemdIntegration: Sendable {
    /// Sockets to adopt instead of binding the configured path; empty without activation.
    public var listenSockets: [SocketActivation.ListenSocket] = []
    /// The DNS stub's sockets (named `dns`); when there are any, `dns_listen` is not bound.
    public var dnsSockets: [SocketActivation.DNSSocket] = []
    /// Where to send READY=1, STATUS=, RELOADING=1, STOPPING=1 and WATCHDOG=1; nil outside systemd.
    public var notifier: SystemdNotifier?
    /// `WATCHDOG_USEC` when it applies to this process; pings go out every half of it.
    public var watchdogInterval: Duration?

    public init() {}

    /// Every variable this type reads.
    public static let environmentVariables = SocketActivation.environmentVariables + ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]

    /// Interprets the variables as sd_listen_fds(3) and sd_watchdog_enabled(3) do: each
    /// applies only if its `*_PID` (when set) is this process.
    public static func fromEnvironment(_ environment: [String: String], pid: pid_t = getpid()) throws(ConfigurationError) -> SystemdIntegration {
        var result = SystemdIntegration()
        (result.listenSockets, result.dnsSockets) = try SocketActivation.sockets(environment: environment, pid: pid)
        if let path = environment["NOTIFY_SOCKET"], !path.isEmpty {
            result.notifier = SystemdNotifier(notifySocket: path)
        }
        if let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 {
            let watchdogPID = environment["WATCHDOG_PID"].flatMap { pid_t($0) }
            if watchdogPID == nil || watchdogPID == pid {
                result.watchdogInterval = .microseconds(Int64(clamping: microseconds))
            }
        }
        return result
    }

    /// Reads the process environment, then unsets every variable in ``environmentVariables``.
    /// Call it once, early, before threads that read the environment start.
    public static func takeFromProcessEnvironment() throws(ConfigurationError) -> SystemdIntegration {
        var environment: [String: String] = [:]
        for name in environmentVariables {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        defer { for name in environmentVariables { unsetenv(name) } }
        return try fromEnvironment(environment)
    }

    /// True when the daemon was started by systemd with sockets to adopt.
    public var isSocketActivated: Bool { !listenSockets.isEmpty }
}
