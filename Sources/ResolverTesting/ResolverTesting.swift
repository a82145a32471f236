/// Fixtures for tests and benchmarks: real DNS servers from Debian packages on free
/// loopback ports, and purpose-made silent, slow and failing upstreams.
public enum ResolverTesting {}
