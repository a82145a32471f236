import ArgumentParser
import ResolverClient

#if canImport(Glibc)
import Glibc
#endif

/// `resolvdctl` run as `resolvconf` (a link named /usr/sbin/resolvconf, as resolvectl is
/// for systemd-resolved): the calls VPN tools make — wg-quick's `resolvconf -a tun.wg0 -m 0
/// -x`, OpenVPN's update-resolv-conf `resolvconf -a tun0.openvpn` with resolv.conf lines on
/// stdin, `resolvconf -d IFACE` — turned into the `link` and `revert_link` ops
/// (docs/routing.md, "resolvconf").
///
/// `nameserver` lines give the servers; `search` and `domain` lines the domains (routing
/// and search domains both); `-x` (exclusive) makes the link the default route. `-m`, `-f`
/// (except that `-d` of an interface without settings is then no error), `-u` and `-p`
/// are accepted and change nothing else. It does not write /etc/resolv.conf.
struct Resolvconf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolvconf",
        abstract: "Set or drop an interface's DNS settings in resolvd, as resolvconf(8) callers expect.",
        discussion: """
            -a reads resolv.conf lines (nameserver, search, domain) from standard input. An \
            interface given as IFACE.PROTO (tun0.openvpn) or PREFIX.IFACE (tun.wg0) is the part \
            that names an interface of this host. Needs root or resolvd's admin group.
            """)

    @Option(name: .customShort("a"), help: ArgumentHelp("Set the interface's settings from standard input.", valueName: "IFACE[.PROTO]"))
    var add: String?

    @Option(name: .customShort("d"), help: ArgumentHelp("Drop the interface's settings.", valueName: "IFACE[.PROTO]"))
    var delete: String?

    @Flag(name: .customShort("x"), help: "Exclusive: names no routing domain claims go to this interface's servers.")
    var exclusive = false

    @Option(name: .customShort("m"), help: ArgumentHelp("Metric (accepted, not used).", valueName: "metric"))
    var metric: Int?

    @Flag(name: .customShort("f"), help: "Ignore an interface without settings (with -d).")
    var force = false

    @Flag(name: .customShort("u"), help: "Update (accepted: resolvd needs no update).")
    var update = false

    @Flag(name: .customShort("p"), help: "Private (accepted, not used).")
    var isPrivate = false

    func validate() throws {
        if add != nil && delete != nil { throw ValidationError("give -a or -d, not both") }
        if add == nil && delete == nil && !update { throw ValidationError("expected -a IFACE, -d IFACE or -u") }
    }

    func run() async throws {
        let options = try ConnectionOptions.parse([])
        if let add {
            let (servers, domains) = Self.parse(lines: Self.standardInputLines())
            let interface = Self.interface(named: add)
            let settings = LinkSettings(interface: interface, servers: servers, domains: domains, defaultRoute: exclusive)
            try await Session(connection: options).run(.link(settings)) { _ in [] }
        } else if let delete {
            // The interface may already be gone (a tunnel closed before its script ran):
            // try each name it could be under.
            let client = try await Self.connect(options)
            let outcome: Result<Bool, ExitCode>
            do {
                outcome = try await Self.revert(Self.candidates(delete), on: client)
            } catch {
                await client.close()
                Session.printError("\(error)")
                throw ExitCode(2)
            }
            await client.close()
            switch outcome {
            case .failure(let code): throw code
            case .success(true): return
            case .success(false) where force: return
            case .success(false):
                Session.printError("\(delete): no DNS settings for this interface")
                throw ExitCode(1)
            }
        }
    }

    /// Reverts the first of `names` that has settings; false when none had.
    private static func revert(_ names: [String], on client: ResolvdConnection) async throws -> Result<Bool, ExitCode> {
        for name in names {
            let reply = try await client.request(.revertLink(interface: name))
            guard reply.isSuccess else {
                Session.printError(Session.failureText(reply))
                return .failure(ExitCode(1))
            }
            if reply.result.flatMap(RevertLinkResult.init(json:))?.reverted == true { return .success(true) }
        }
        return .success(false)
    }

    private static func connect(_ options: ConnectionOptions) async throws -> ResolvdConnection {
        do {
            return try await ResolvdConnection.connect(socketPath: options.socketPath)
        } catch {
            Session.printError("cannot connect to \(options.socketPath): \(error)")
            throw ExitCode(2)
        }
    }

    static func standardInputLines() -> [String] {
        var lines: [String] = []
        while let line = readLine() { lines.append(line) }
        return lines
    }

    /// The servers and domains of resolv.conf lines; other lines (options, comments) are ignored.
    static func parse(lines: [String]) -> (servers: [String], domains: [String]) {
        var servers: [String] = []
        var domains: [String] = []
        for line in lines {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
            switch keyword {
            case "nameserver": servers += words.dropFirst().prefix(1)
            case "search", "domain": domains += words.dropFirst().filter { !domains.contains($0) }
            default: continue
            }
        }
        return (servers, domains)
    }

    /// The names `IFACE[.PROTO]` may stand for, most likely first: as given, the part
    /// before the first dot (`tun0` of `tun0.openvpn`), the part after the last dot (`wg0`
    /// of `tun.wg0`, wg-quick's name under Debian's interface-order prefixes).
    static func candidates(_ name: String) -> [String] {
        var names = [name]
        if let dot = name.firstIndex(of: ".") {
            names.append(String(name[..<dot]))
            names.append(String(name[name.index(after: name.lastIndex(of: ".")!)...]))
        }
        var seen: Set<String> = []
        return names.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// The first candidate that names an interface of this host, else the name as given
    /// (the daemon then says there is no such interface).
    static func interface(named name: String) -> String {
        candidates(name).first { if_nametoindex($0) != 0 } ?? name
    }
}
