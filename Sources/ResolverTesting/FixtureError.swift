import Glibc

/// A fixture could not be started or used. The message says why, in full.
public struct FixtureError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) { self.message = message }

    /// `what` followed by the text of the current `errno`.
    static func fromErrno(_ what: String) -> FixtureError {
        let code = Glibc.errno
        return FixtureError("\(what): \(String(cString: strerror(code))) (errno \(code))")
    }

    public var description: String { message }
}
