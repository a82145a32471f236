// ResolverTesting holds the fixtures every test target and the benchmark share: real DNS
// servers from Debian packages on free loopback ports (``UnboundServer``), purpose-made
// upstreams that stay silent, fail, answer malformed or hold replies at a gate
// (``SilentUpstream``, ``FailingUpstream``, ``ScriptedUpstream``, ``DelayingProxy``,
// ``RefusingPort``), a real `resolvd` process with the test's own settings and databases
// (``DaemonProcess``, ``HermeticDatabases``) and a raw protocol v1 line client
// (``LineClient``).
//
// It is never linked into the daemon or the client, and it sends DNS only to loopback
// addresses: nothing here reads the host's resolver configuration.

/// Fixtures for tests and benchmarks.
public enum ResolverTesting {}
