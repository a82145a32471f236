#if canImport(Glibc)
import Glibc
#endif

/// Everything a ``Resolver`` needs to know before it starts: upstreams, retry policy,
/// the local databases and how many c-ares channels to run.
///
/// This type only holds and checks settings; it reads no files except in
/// ``systemDefault()`` (which reads `/etc/resolv.conf`). The daemon's configuration
/// file and flags are parsed elsewhere and end up here.
public struct ResolverConfiguration: Hashable, Sendable {
    /// The upstream DNS servers, tried in order.
    public var servers: [DNSServerAddress]
    /// How long c-ares waits for one try before the next (per server, per try).
    public var timeoutPerTry: Duration = .milliseconds(2000)
    /// How long a channel's upstream sockets (and so their source ports) are used before
    /// the channel is replaced by a fresh one: c-ares keeps them open between queries
    /// (ARES_FLAG_STAYOPEN), which spares a lookup on an idle channel a socket's set-up and
    /// teardown, and this bounds how long one port is predictable (docs/architecture.md,
    /// "Upstream sockets").
    public var upstreamSocketLifetime: Duration = .seconds(1)
    /// How many times c-ares tries each server.
    public var tries: Int = 2
    /// How long after an upstream is marked down it is first asked again directly (a
    /// probe); each unanswered probe doubles the wait, up to 8 times this
    /// (docs/reliability.md, "When upstreams fail").
    public var upstreamProbeInterval: Duration = .seconds(1)
    /// Search domains appended to names with fewer than ``ndots`` dots (as in resolv.conf).
    public var searchDomains: [String] = []
    /// resolv.conf's `ndots`.
    public var ndots: Int = 1
    /// The hosts file consulted before DNS, or `nil` for none.
    public var hostsFile: String? = "/etc/hosts"
    /// The services database (getservbyname, and service names in getaddrinfo).
    public var servicesFile: String = "/etc/services"
    /// The protocols database (getprotobyname).
    public var protocolsFile: String = "/etc/protocols"
    /// The domain that getnameinfo's `noFQDN` flag strips; `nil` means the domain part
    /// of this host's name (gethostname), as glibc and c-ares do.
    public var localDomain: String? = nil
    /// How many c-ares channels (each with its own thread and UDP sockets) to run.
    public var channelCount: Int = 2
    /// How many DNS queries one channel keeps in flight (a getaddrinfo for both families
    /// sends two); lookups beyond it wait in a queue, where cancelling them costs nothing.
    /// The resolver lowers it to what the granted receive buffer holds (see
    /// ``Resolver/queryLimitPerChannel``), so a burst of replies is never dropped.
    public var maxInFlightPerChannel: Int = 1024
    /// The receive buffer asked for each c-ares socket (SO_RCVBUFFORCE when privileged,
    /// else SO_RCVBUF, which the kernel caps at net.core.rmem_max); 0 leaves the kernel default.
    public var socketReceiveBufferBytes: Int = 4 << 20

    public init(servers: [DNSServerAddress]) {
        self.servers = servers
    }

    /// The host's resolver configuration: servers, search list, ndots, timeout and
    /// attempts from `/etc/resolv.conf` (127.0.0.1:53 when it names no server, as glibc does).
    public static func systemDefault(resolvConf path: String = "/etc/resolv.conf") -> ResolverConfiguration {
        var configuration = ResolverConfiguration(servers: [])
        let text = (try? TextFile.read(path)) ?? ""
        for line in text.split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = words.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
            switch keyword {
            case "nameserver":
                if words.count > 1, let server = try? DNSServerAddress(parsing: String(words[1])) {
                    configuration.servers.append(server)
                }
            case "search":
                configuration.searchDomains = words.dropFirst().map(String.init)
            case "domain":
                if words.count > 1 { configuration.searchDomains = [String(words[1])] }
            case "options":
                for option in words.dropFirst() {
                    let parts = option.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2, let value = Int(parts[1]) else { continue }
                    switch parts[0] {
                    case "ndots": configuration.ndots = min(max(value, 0), 15)
                    case "timeout": configuration.timeoutPerTry = .seconds(min(max(value, 1), 30))
                    case "attempts": configuration.tries = min(max(value, 1), 5)
                    default: break
                    }
                }
            default:
                continue
            }
        }
        if configuration.servers.isEmpty {
            configuration.servers = [try! DNSServerAddress(parsing: "127.0.0.1")]
        }
        return configuration
    }

    /// Checks every setting; the error says which one is wrong and why.
    public func validate() throws(ResolverError) {
        if servers.isEmpty { throw .invalidArgument("no upstream DNS server configured") }
        if timeoutPerTry < .milliseconds(1) || timeoutPerTry > .seconds(300) {
            throw .invalidArgument("timeout per try must be between 1 ms and 300 s, not \(timeoutPerTry)")
        }
        if !(1...20).contains(tries) { throw .invalidArgument("tries must be between 1 and 20, not \(tries)") }
        if upstreamProbeInterval < .milliseconds(10) || upstreamProbeInterval > .seconds(3600) {
            throw .invalidArgument("upstream probe interval must be between 10 ms and 1 hour, not \(upstreamProbeInterval)")
        }
        if !(0...15).contains(ndots) { throw .invalidArgument("ndots must be between 0 and 15, not \(ndots)") }
        if !(1...64).contains(channelCount) {
            throw .invalidArgument("channel count must be between 1 and 64, not \(channelCount)")
        }
        if !(1...65536).contains(maxInFlightPerChannel) {
            throw .invalidArgument("in-flight per channel must be between 1 and 65536, not \(maxInFlightPerChannel)")
        }
        if socketReceiveBufferBytes < 0 { throw .invalidArgument("socket receive buffer must not be negative") }
        if upstreamSocketLifetime <= .zero { throw .invalidArgument("upstream socket lifetime must be positive") }
        for domain in searchDomains where DNSName.validationError(domain) != nil {
            throw .invalidArgument("bad search domain '\(domain)'")
        }
    }

    var timeoutPerTryMilliseconds: Int32 {
        let (seconds, attoseconds) = timeoutPerTry.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}

/// Reads a whole text file (configuration, resolv.conf); the error names the path and why.
public enum TextFile {
    public static func read(_ path: String) throws(ResolverError) -> String {
        String(decoding: try DatabaseFile.contents(of: path), as: UTF8.self)
    }
}
