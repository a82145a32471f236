import Glibc

/// The services and protocols databases that tests give the resolver instead of the host's
/// /etc/services and /etc/protocols, so that what a test sees never depends on the machine:
/// the entries the tests ask about, as Debian's netbase has them.
///
/// The differential tests against glibc (`ServicesDatabaseDifferentialTests`) do not use
/// these: they have larger files of their own, which glibc reads too (mounted over /etc).
public enum HermeticDatabases {
    public static let services = """
        ftp         21/tcp
        ssh         22/tcp
        domain      53/tcp
        domain      53/udp
        http        80/tcp      www
        https       443/tcp
        https       443/udp

        """

    public static let protocols = """
        ip      0   IP
        icmp    1   ICMP
        tcp     6   TCP
        udp     17  UDP
        ipv6    41  IPv6

        """

    /// Writes both files into `directory` (as `services` and `protocols`) and returns their paths.
    @discardableResult
    public static func write(in directory: String) throws -> (services: String, protocols: String) {
        let paths = (services: directory + "/services", protocols: directory + "/protocols")
        try writeFile(paths.services, services)
        try writeFile(paths.protocols, protocols)
        return paths
    }

    /// One copy per test process, in a directory of its own under /tmp.
    public static func shared() throws -> (services: String, protocols: String) {
        try sharedPaths.get()
    }

    private static let sharedPaths = Result { () throws -> (services: String, protocols: String) in
        var template = Array("/tmp/resolvd-databases-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw FixtureError.fromErrno("mkdtemp") }
        return try write(in: String(cString: made))
    }
}
