import ResolvdProtocol

/// The interfaces served on the Varlink socket and their descriptions in Varlink IDL, for
/// `org.varlink.service.GetInfo` and `GetInterfaceDescription`.
///
/// io.systemd.Resolve is described as resolvd serves it: systemd-resolved's methods,
/// members and errors for name, address and record lookups, without its DNS-SD browsing,
/// configuration dump and DNSSEC errors (docs/varlink.md).
enum VarlinkInterfaces {
    static let resolve = "io.systemd.Resolve"
    static let service = "org.varlink.service"

    /// GetInfo's reply parameters.
    static let info: JSONObject = [
        "vendor": "resolvd",
        "product": "resolvd",
        "version": .string(ServerContext.version),
        "url": "file:///usr/share/doc/resolvd/varlink.md",
        "interfaces": [.string(resolve), .string(service)],
    ]

    static func description(of interface: String) -> String? {
        switch interface {
        case resolve: resolveDescription
        case service: serviceDescription
        default: nil
        }
    }

    static let resolveDescription = """
        # Name, address and record lookups through resolvd's cache and coalescing,
        # with the members and errors of systemd-resolved (docs/varlink.md).
        interface io.systemd.Resolve

        type ResolvedAddress (
          ifindex: ?int,
          family: int,
          address: []int
        )

        type ResolvedName (
          ifindex: ?int,
          name: string
        )

        # `raw` is the record in DNS wire format, base64; resolvd leaves `rr` out.
        type ResolvedRecord (
          ifindex: ?int,
          rr: ?object,
          raw: string
        )

        type ResolvedService (
          priority: int,
          weight: int,
          port: int,
          hostname: string,
          canonicalName: ?string,
          addresses: ?[]ResolvedAddress
        )

        type ResolvedCanonical (
          name: ?string,
          type: string,
          domain: string
        )

        method ResolveHostname(ifindex: ?int, name: string, family: ?int, flags: ?int) -> (addresses: []ResolvedAddress, name: string, flags: int)

        method ResolveAddress(ifindex: ?int, family: int, address: []int, flags: ?int) -> (names: []ResolvedName, flags: int)

        method ResolveRecord(ifindex: ?int, name: string, class: ?int, type: int, flags: ?int) -> (rrs: []ResolvedRecord, flags: int)

        method ResolveService(name: ?string, type: ?string, domain: string, ifindex: ?int, family: ?int, flags: ?int) -> (services: []ResolvedService, txt: ?[]string, canonical: ResolvedCanonical, flags: int)

        error NoNameServers()
        error NoSuchResourceRecord()
        error QueryTimedOut()
        error MaxAttemptsReached()
        error InvalidReply()
        error QueryAborted()
        error QueryRefused()
        error ResourceRecordTypeUnsupported()
        error DNSError(rcode: int)
        error BadAddressSize()
        error ServiceNotProvided()

        """

    static let serviceDescription = """
        # The Varlink service interface (https://varlink.org).
        interface org.varlink.service

        method GetInfo() -> (vendor: string, product: string, version: string, url: string, interfaces: []string)

        method GetInterfaceDescription(interface: string) -> (description: string)

        error InterfaceNotFound(interface: string)
        error MethodNotFound(method: string)
        error MethodNotImplemented(method: string)
        error InvalidParameter(parameter: string)
        error PermissionDenied()
        error ExpectedMore()

        """
}
