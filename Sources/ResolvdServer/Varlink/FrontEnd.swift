/// Which protocol a listening socket speaks.
enum FrontEnd: Sendable {
    /// Protocol v1, one JSON object per line (docs/protocol.md).
    case v1
    /// Varlink, io.systemd.Resolve (docs/varlink.md).
    case varlink
}

extension SocketActivation.ListenSocket {
    /// A descriptor named `varlink` (`FileDescriptorName=varlink`), or bound to a file named
    /// `io.systemd.Resolve`, speaks Varlink; the others protocol v1. The path counts too
    /// because `FileDescriptorName=` names every socket of a unit alike, and resolvd.socket
    /// holds both.
    var frontEnd: FrontEnd {
        name == "varlink" || path.hasSuffix("/" + DaemonConfiguration.varlinkSocketName) ? .varlink : .v1
    }
}
