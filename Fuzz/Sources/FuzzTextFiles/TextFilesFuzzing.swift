import ResolvdServer

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// The checks of the libFuzzer target over the text an operator or a package writes and
/// resolvd reads: resolvd.conf (``DaemonConfiguration/load(file:overrides:environment:isRoot:resolvConf:)``),
/// an upstream's `HOST[:PORT]` (``DNSServerAddress/init(parsing:)``), and the hosts,
/// services and protocols files. The first byte of the input picks the parser (modulo 5).
///
/// Trapping (so libFuzzer reports a crash) when a promise is broken:
/// - configuration: loading is deterministic; an error names the file and, when it names a
///   line, one that exists; a loaded configuration has every value in its documented range
///   and its upstreams parse back from their own text;
/// - upstream address: the port is not 0, the host is an address of the family given, and
///   the text it prints parses back to the same value;
/// - services/protocols/hosts: every line the parser accepts is found again by its name and
///   by its port, number or address (the first such line wins, as in glibc).
enum TextFilesFuzzing {
    static func fuzz(_ data: UnsafeRawBufferPointer) {
        guard let selector = data.first else { return }
        // The databases are parsed from a `String` (their public initializer), so the lines
        // compared against are those of its UTF-8, invalid bytes already replaced.
        let text = Array(String(decoding: data.dropFirst(), as: UTF8.self).utf8)
        switch selector % 5 {
        case 0: checkConfiguration(text)
        case 1: checkServerAddress(String(decoding: text, as: UTF8.self))
        case 2: checkServices(text)
        case 3: checkProtocols(text)
        default: checkHosts(text)
        }
    }

    // MARK: - resolvd.conf

    /// A directory of this process's own for the files the configuration reads.
    static let directory: String = {
        var template = Array("/tmp/resolvd-fuzz-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { preconditionFailure("mkdtemp: \(errno)") }
        let path = String(cString: made)
        // A fixed resolv.conf, so the defaults never depend on the machine's.
        write(Array("nameserver 127.0.0.1\n".utf8), to: path + "/resolv.conf")
        return path
    }()

    static func write(_ bytes: [UInt8], to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "open \(path): \(errno)")
        precondition(bytes.isEmpty || Glibc.write(fd, bytes, bytes.count) == bytes.count, "write \(path): \(errno)")
        close(fd)
    }

    static func load(_ file: String) -> Result<DaemonConfiguration, ConfigurationError> {
        Result { () throws(ConfigurationError) in
            try DaemonConfiguration.load(
                file: file, overrides: .init(), environment: [:], isRoot: false, resolvConf: directory + "/resolv.conf")
        }
    }

    static func describe(_ result: Result<DaemonConfiguration, ConfigurationError>) -> String {
        switch result {
        case .success(let configuration): "\(configuration)"
        case .failure(let error): error.description
        }
    }

    static func checkConfiguration(_ text: [UInt8]) {
        let file = directory + "/resolvd.conf"
        write(text, to: file)
        let result = load(file)
        precondition(describe(result) == describe(load(file)), "loading the same file twice gave two results")
        switch result {
        case .failure(let error):
            let message = error.description
            precondition(message.hasPrefix(file), "error does not name the file: \(message)")
            let rest = message.dropFirst(file.count)
            if rest.hasPrefix(":"), let line = Int(rest.dropFirst().prefix(while: \.isNumber)) {
                let lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
                precondition(line >= 1 && line <= lines, "error names line \(line) of \(lines)")
            }
        case .success(let configuration):
            let resolver = configuration.resolver
            precondition((0...15).contains(resolver.ndots), "ndots \(resolver.ndots)")
            precondition((1...20).contains(resolver.tries), "tries \(resolver.tries)")
            precondition((1...64).contains(resolver.channelCount), "channels \(resolver.channelCount)")
            precondition((1...65536).contains(resolver.maxInFlightPerChannel), "max_in_flight_per_channel")
            precondition(resolver.timeoutPerTry > .zero && resolver.timeoutPerTry <= .seconds(300), "timeout_ms")
            precondition(configuration.socketMode <= 0o777, "socket_mode")
            precondition(!resolver.servers.isEmpty, "a configuration without upstreams")
            for server in resolver.servers { checkServerAddress(server.description) }
        }
    }

    // MARK: - Upstream addresses

    static func checkServerAddress(_ text: String) {
        guard let address = try? DNSServerAddress(parsing: text) else { return }
        precondition(address.port != 0, "port 0 from '\(text)'")
        guard let ip = IPAddress(parsing: address.host) else { preconditionFailure("host '\(address.host)' of '\(text)' is not an address") }
        precondition(ip.family == address.family, "family of '\(text)'")
        precondition(IPAddress(parsing: ip.text) == ip, "address text does not parse back: \(ip.text)")
        guard let again = try? DNSServerAddress(parsing: address.description) else {
            preconditionFailure("'\(address.description)' (from '\(text)') does not parse")
        }
        precondition(again == address, "'\(text)' → \(address) → \(again)")
    }

    // MARK: - services, protocols, hosts

    /// Text that a `String` carries unchanged to the parsers' C strings: valid UTF-8, no NUL.
    static func plainString(_ bytes: [UInt8]) -> String? {
        guard !bytes.contains(0), let string = String(validating: bytes, as: UTF8.self) else { return nil }
        return string
    }

    static func checkServices(_ text: [UInt8]) {
        let database = ServicesDatabase(parsing: String(decoding: text, as: UTF8.self))
        for line in DatabaseFile.lines(of: text) {
            guard let parsed = ServicesDatabase.parseLine(line),
                  let name = plainString(parsed.name), let proto = plainString(parsed.proto) else { continue }
            guard let byName = database.service(named: name, proto: proto) else { preconditionFailure("service \(name)/\(proto) not found") }
            precondition(byName.proto == proto, "service \(name)/\(proto) found with protocol \(byName.proto)")
            guard let byPort = database.service(port: parsed.port, proto: proto) else { preconditionFailure("port \(parsed.port)/\(proto) not found") }
            precondition(byPort.port == parsed.port && byPort.proto == proto, "port \(parsed.port)/\(proto) found as \(byPort)")
            precondition(database.service(named: name, proto: nil) != nil, "service \(name) not found without a protocol")
        }
    }

    static func checkProtocols(_ text: [UInt8]) {
        let database = ProtocolsDatabase(parsing: String(decoding: text, as: UTF8.self))
        for line in DatabaseFile.lines(of: text) {
            guard let parsed = ProtocolsDatabase.parseLine(line) else { continue }
            guard let byNumber = database.protocol(number: parsed.number) else { preconditionFailure("protocol \(parsed.number) not found") }
            precondition(byNumber.number == parsed.number, "protocol \(parsed.number) found as \(byNumber)")
            for name in parsed.names.compactMap(plainString) {
                precondition(database.protocol(named: name) != nil, "protocol \(name) not found")
            }
        }
    }

    static func checkHosts(_ text: [UInt8]) {
        let database = HostsDatabase(parsing: String(decoding: text, as: UTF8.self))
        for line in DatabaseFile.lines(of: text) {
            var scanner = DatabaseLineScanner(line)
            let field = scanner.stringField(isTerminator: DatabaseFile.isSpace)
            let names = scanner.remainingWords()
            guard !names.isEmpty, let addressText = plainString(field), let address = IPAddress(parsing: addressText) else { continue }
            guard let found = database.names(for: addressText) else { preconditionFailure("address \(addressText) not found") }
            precondition(!found.name.isEmpty, "address \(addressText) found without a name")
            for name in names.compactMap(plainString) where !name.isEmpty && name != "." {
                guard let match = database.addresses(for: name, family: address.family) else {
                    preconditionFailure("name \(name) (\(addressText)) not found")
                }
                precondition(!match.addresses.isEmpty && match.addresses.allSatisfy { $0.family == address.family }, "name \(name): \(match)")
            }
        }
    }
}
