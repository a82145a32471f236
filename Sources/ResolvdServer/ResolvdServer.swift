// ResolvdServer is the resolvd daemon as a library (the `resolvd` executable is only its
// command line): the SwiftNIO Unix-socket server and one ``ConnectionHandler`` per client,
// the answer cache and the coalescing of identical lookups (``LookupService``), the
// configuration file and flags, reload, logging, statistics, peer credentials and admin
// ops, and the systemd integration (socket activation, sd_notify, the watchdog).
//
// It does not resolve (ResolverCore does, on its own threads), define the protocol's
// messages (ResolvdProtocol does, shared with the client) or own the value types
// (ResolverTypes). docs/architecture.md follows one lookup and one cancel through it.

/// The resolvd daemon as a library: server, cache, configuration, systemd.
public enum ResolvdServer {}
