import ResolverCore

/// Whether this process runs under ThreadSanitizer (`swift test --sanitize=thread`): its
/// runtime's entry point is then linked in. Volume tests scale down under it — TSan is
/// there to find races, which a tenth of the volume finds as well, at a tenth of the time.
public enum Sanitizers {
    public static let threadSanitizer: Bool = ThreadSanitizer.isLoaded

    /// `count`, or a tenth of it under ThreadSanitizer.
    public static func scaled(_ count: Int) -> Int { threadSanitizer ? max(1, count / 10) : count }
}
