import ArgumentParser

/// The `resolvdctl` command: sends one protocol v1 request to resolvd and prints the reply.
/// Run as `resolvconf` (by that name, argv[0]) it is ``Resolvconf``.
@main
enum ResolvdctlMain {
    static func main() async {
        let invokedAs = CommandLine.arguments.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? ""
        if invokedAs == "resolvconf" {
            await Resolvconf.main(Array(CommandLine.arguments.dropFirst()))
        } else {
            await Resolvdctl.main()
        }
    }
}

struct Resolvdctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolvdctl",
        abstract: "Send one request to resolvd and print its reply.",
        discussion: """
            The socket is --socket, else $RESOLVD_SOCKET, else /run/resolvd/resolvd.sock if it \
            exists, else ./run/resolvd.sock. Exit status: 0 on success, 1 when resolvd reports a \
            failure (printed as "resolvdctl: SYMBOL (code): message" on stderr), 2 when resolvd \
            cannot be reached or the connection fails.
            """,
        version: "1.0.0",
        subcommands: [
            GetAddrInfo.self, GetNameInfo.self, Query.self,
            HostByName.self, HostByAddress.self,
            ServiceByName.self, ServiceByPort.self,
            ProtocolByName.self, ProtocolByNumber.self,
            Hello.self, Stats.self, FlushCaches.self, CancelAll.self, Monitor.self, ShowCache.self,
            StatusCommand.self, LinkCommand.self, RevertCommand.self,
        ]
    )

    /// `--socket` and `--json`, accepted before or after the subcommand name;
    /// subcommands read them through `@ParentCommand`.
    @OptionGroup var options: ConnectionOptions
}
