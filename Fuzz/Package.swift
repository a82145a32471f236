// swift-tools-version:6.1
// libFuzzer targets over the parsers that read untrusted bytes: DNS answers from upstreams
// and protocol lines from clients. A package of its own, so that the main package's plain
// `swift build` never has to link an executable without `main` (libFuzzer provides it).
//
//   make fuzz            # builds with --sanitize=fuzzer and runs each target for FUZZ_SECONDS
import PackageDescription

let package = Package(
    name: "resolvd-fuzz",
    dependencies: [
        .package(name: "resolvd", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "FuzzDNSMessage",
            dependencies: [.product(name: "ResolverCore", package: "resolvd")]
        ),
        .executableTarget(
            name: "FuzzJSON",
            dependencies: [.product(name: "ResolvdProtocol", package: "resolvd")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
