// swift-tools-version:6.1
// libFuzzer targets over the parsers that read untrusted bytes: DNS answers from upstreams
// and protocol lines from clients. A package of its own, so that the main package's plain
// `swift build` never has to link an executable without `main` (libFuzzer provides it).
// Each target holds its own checks (`*Fuzzing.swift`) next to its entry point, on the
// public API of the library it fuzzes.
//
//   make fuzz            # builds with --sanitize=fuzzer and runs each target for FUZZ_SECONDS
import PackageDescription

let package = Package(
    name: "resolvd-fuzz",
    dependencies: [
        .package(name: "resolvd", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "FuzzDNSMessage",
            dependencies: [.product(name: "ResolverCore", package: "resolvd")]
        ),
        .executableTarget(
            name: "FuzzJSON",
            dependencies: [
                .product(name: "ResolvdProtocol", package: "resolvd"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
