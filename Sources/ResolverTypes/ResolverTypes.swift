// ResolverTypes holds the value types the resolver engine, the daemon and the client all
// speak in: ``ResultCode`` (the one status table), ``ResolverError``, address families,
// socket types and transports, the getaddrinfo/getnameinfo requests and answers, host,
// service and protocol entries, DNS records and ``WindowsBufferLayout``.
//
// It owns no behaviour beyond what a value says about itself: no I/O, no c-ares (the
// engine's c-ares mappings are ResolverCore's), no JSON (protocol v1's encoding of these
// types is ResolvdProtocol's). It depends on nothing, so a client links it without c-ares.
