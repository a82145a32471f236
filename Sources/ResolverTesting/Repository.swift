/// Where the repository's own files are (docs/, systemd/, config/, the Makefile), for tests
/// that hold the code to what those files say. Found from this source file's path, so it
/// works from any test target and any working directory.
public enum Repository {
    public static var root: String {
        let file = #filePath
        guard let range = file.firstRange(of: "/Sources/ResolverTesting/") else { return "." }
        return String(file[..<range.lowerBound])
    }
}
