import ArgumentParser
import Logging
import ResolvdServer
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `resolvd`: the command line. Flags override the configuration file; see
/// config/resolvd.conf for every setting and docs/protocol.md for the socket protocol.
struct ResolvdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolvd",
        abstract: "An asynchronous DNS resolver daemon with cancellable lookups over a Unix socket.",
        version: "1.0.0")

    @Option(name: .long, help: "Configuration file (default: /etc/resolvd/resolvd.conf if present).")
    var config: String?

    @Option(name: .long, help: "Unix socket path (default: $RUNTIME_DIRECTORY/resolvd.sock, /run/resolvd/resolvd.sock as root, else ./run/resolvd.sock).")
    var socket: String?

    @Option(name: .customLong("varlink-socket"), help: "Varlink socket (io.systemd.Resolve) path, or 'none' (default: io.systemd.Resolve beside --socket).")
    var varlinkSocket: String?

    @Option(name: .long, help: "Upstream DNS server HOST[:PORT]; repeatable (default: /etc/resolv.conf).")
    var dns: [String] = []

    @Option(name: .long, help: ArgumentHelp("Names under DOMAIN go only to these servers (the longest domain wins; '.' is the default route); repeatable.", valueName: "DOMAIN=SERVER[,SERVER…]"))
    var route: [String] = []

    @Option(name: .long, help: "Search domain for names with fewer than --ndots dots; repeatable, 'none' for no search list (default: /etc/resolv.conf).")
    var search: [String] = []

    @Option(name: .long, help: "Dots a name needs to be tried as given before the search list, 0…15 (default: /etc/resolv.conf, else 1).")
    var ndots: Int?

    @Option(name: .customLong("hosts-file"), help: "Hosts file consulted before DNS, or 'none'.")
    var hostsFile: String?

    @Option(name: .customLong("services-file"), help: "Services database.")
    var servicesFile: String?

    @Option(name: .customLong("protocols-file"), help: "Protocols database.")
    var protocolsFile: String?

    @Option(name: .customLong("timeout-ms"), help: "Timeout per try, in milliseconds.")
    var timeoutMilliseconds: Int?

    @Option(name: .long, help: "Tries per upstream.")
    var tries: Int?

    @Option(name: .customLong("probe-interval-ms"), help: "First wait before a down upstream is probed, in milliseconds (doubles to 8x).")
    var probeIntervalMilliseconds: Int?

    @Option(name: .customLong("dns-listen"), help: "Serve DNS (UDP and TCP) on ADDR:PORT or [V6]:PORT; repeatable; 'none' for no stub listener (default: the configuration file's dns_listen, else none).")
    var dnsListen: [String] = []

    @Flag(name: .customLong("no-cache"), help: "Disable the answer cache.")
    var noCache = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func run() async throws {
        // First: read and unset LISTEN_*, NOTIFY_SOCKET and WATCHDOG_* before any thread starts.
        let systemd: SystemdIntegration
        do {
            systemd = try SystemdIntegration.takeFromProcessEnvironment()
        } catch {
            printError("resolvd: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        let file = config ?? (access("/etc/resolvd/resolvd.conf", R_OK) == 0 ? "/etc/resolvd/resolvd.conf" : nil)
        var overrides = DaemonConfiguration.Overrides()
        overrides.socketPath = socket
        overrides.varlinkSocket = varlinkSocket
        overrides.servers = dns
        overrides.routes = route
        overrides.searchDomains = search.isEmpty ? nil : search.filter { $0 != "none" }
        overrides.ndots = ndots
        overrides.hostsFile = hostsFile
        overrides.servicesFile = servicesFile
        overrides.protocolsFile = protocolsFile
        overrides.timeoutMilliseconds = timeoutMilliseconds
        overrides.tries = tries
        overrides.probeIntervalMilliseconds = probeIntervalMilliseconds
        overrides.noCache = noCache
        overrides.dnsListen = dnsListen
        overrides.logLevel = logLevel
        let environment = currentEnvironment()
        let isRoot = geteuid() == 0
        let load: @Sendable () throws -> DaemonConfiguration = { [overrides] in
            try DaemonConfiguration.load(file: file, overrides: overrides, environment: environment, isRoot: isRoot)
        }
        let configuration: DaemonConfiguration
        do {
            configuration = try load()
        } catch {
            printError("resolvd: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        let level = configuration.logLevel
        let journal = environment["JOURNAL_STREAM"] != nil
        LoggingSystem.bootstrap { label in
            var handler = StderrLogHandler(label: label, journalPriorities: journal)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "resolvd")
        let daemon = ResolvdDaemon(configuration: configuration, logger: logger, reloadConfiguration: load, systemd: systemd) { path, metrics in
            printError("resolvd: listening on \(path)")
            // Whatever the log level: with `metrics_listen = …:0` this is where to find the port.
            if let metrics { printError("resolvd: serving metrics on http://\(metrics)/metrics") }
        }
        let group = ServiceGroup(services: [daemon], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            logger.critical("resolvd failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}

func currentEnvironment() -> [String: String] {
    var result: [String: String] = [:]
    var cursor = environ
    while let entry = cursor.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            result[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        cursor += 1
    }
    return result
}

func printError(_ text: String) {
    var bytes = Array((text + "\n").utf8)
    _ = write(STDERR_FILENO, &bytes, bytes.count)
}
