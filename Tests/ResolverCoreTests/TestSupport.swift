import Dispatch
import NIOConcurrencyHelpers
import ResolverTesting
import Testing

@testable import ResolverCore

#if canImport(Glibc)
import Glibc
#endif

/// Fixtures shared by the whole test process: one unbound serving the test zones.
enum Fixtures {
    private static let sharedUnbound = Result { try UnboundServer.start() }

    /// The shared unbound; a missing `unbound` package fails the test with its name.
    static func unbound() throws -> UnboundServer {
        try sharedUnbound.get()
    }

    static func configuration(
        upstream: String,
        timeoutPerTry: Duration = .milliseconds(1500),
        tries: Int = 2,
        hostsFile: String? = nil,
        channels: Int = 2,
        localDomain: String? = nil
    ) throws -> ResolverConfiguration {
        var configuration = ResolverConfiguration(servers: [try DNSServerAddress(parsing: upstream)])
        // Never the host's /etc/services and /etc/protocols (the differential tests read those).
        let databases = try HermeticDatabases.shared()
        configuration.servicesFile = databases.services
        configuration.protocolsFile = databases.protocols
        configuration.timeoutPerTry = timeoutPerTry
        configuration.tries = tries
        configuration.hostsFile = hostsFile
        configuration.channelCount = channels
        configuration.localDomain = localDomain
        return configuration
    }

    static func resolver(
        upstream: String,
        timeoutPerTry: Duration = .milliseconds(1500),
        tries: Int = 2,
        hostsFile: String? = nil,
        channels: Int = 2,
        localDomain: String? = nil
    ) throws -> Resolver {
        try Resolver(configuration: configuration(
            upstream: upstream, timeoutPerTry: timeoutPerTry, tries: tries, hostsFile: hostsFile,
            channels: channels, localDomain: localDomain))
    }

    /// A resolver against the shared unbound.
    static func unboundResolver(hostsFile: String? = nil, localDomain: String? = nil) throws -> Resolver {
        try resolver(upstream: unbound().serverAddress, hostsFile: hostsFile, localDomain: localDomain)
    }

    /// Writes `text` to a new temporary file and returns its path.
    static func temporaryFile(_ text: String) -> String {
        var template = Array("/tmp/resolvd-test-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        precondition(fd >= 0)
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

/// Records every completion of the lookups it is handed, to prove exactly-once delivery.
final class CompletionLog<Value: Sendable>: Sendable {
    private let entries = NIOLockedValueBox<[Result<Value, ResolverError>]>([])
    private let semaphore = DispatchSemaphore(value: 0)

    var handler: @Sendable (Result<Value, ResolverError>) -> Void {
        { result in
            self.entries.withLockedValue { $0.append(result) }
            self.semaphore.signal()
        }
    }

    var results: [Result<Value, ResolverError>] { entries.withLockedValue { $0 } }
    var count: Int { entries.withLockedValue { $0.count } }

    /// Waits for `count` completions in all; false on timeout.
    func wait(count: Int = 1, timeout: Duration = .seconds(10)) -> Bool {
        let deadline = DispatchTime.now() + .milliseconds(Int(timeout.components.seconds * 1000))
        while self.count < count {
            if semaphore.wait(timeout: deadline) == .timedOut { return self.count >= count }
        }
        return true
    }

    var errorCode: ResultCode? {
        guard case .failure(let error)? = results.first else { return nil }
        return error.code
    }

    var value: Value? {
        guard case .success(let value)? = results.first else { return nil }
        return value
    }
}

extension Result {
    /// The code of a failure; nil on success. Any other error is a defect of the resolver's
    /// contract (it fails with ResolverError only): it fails the running test, never passes
    /// for a success.
    var failureCode: ResultCode? {
        guard case .failure(let error) = self else { return nil }
        return code(of: error)
    }
}

/// Runs an async lookup and returns the ResolverError code it failed with (nil on success;
/// an error of another type fails the running test).
func errorCode(_ body: () async throws -> some Any) async -> ResultCode? {
    do {
        _ = try await body()
        return nil
    } catch {
        return code(of: error)
    }
}

/// A value no result code has: what a foreign error compares as, so `== nil` cannot pass.
let notAResolverError = ResultCode(rawValue: -1)

private func code(of error: any Error) -> ResultCode {
    guard let resolverError = error as? ResolverError else {
        Issue.record("failed with \(type(of: error)), not ResolverError: \(error)")
        return notAResolverError
    }
    return resolverError.code
}
