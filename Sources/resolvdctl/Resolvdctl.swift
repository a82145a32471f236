import ArgumentParser

/// The `resolvdctl` command: sends one protocol v1 request to resolvd and prints the reply.
@main
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
        ]
    )

    /// `--socket` and `--json`, accepted before or after the subcommand name;
    /// subcommands read them through `@ParentCommand`.
    @OptionGroup var options: ConnectionOptions
}
