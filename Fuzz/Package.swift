// swift-tools-version:6.1
// libFuzzer targets over the code that reads untrusted bytes: DNS answers and the reply
// tracking of upstream traffic, protocol v1 lines through a real connection handler, Varlink
// calls, DNS stub datagrams through the stub's UDP handler, the configuration file and the hosts/services/protocols files. A package of its
// own, so that the main package's plain `swift build` never has to link an executable
// without `main` (libFuzzer provides it). Each target holds its own checks (`*Fuzzing.swift`)
// next to its entry point. The targets that reach internal types import their module with
// `@testable`, so the build passes `-enable-testing` (the Makefile does).
//
//   make fuzz            # builds with -sanitize=fuzzer,address and runs each target for FUZZ_SECONDS
import PackageDescription

/// What the targets over the daemon's front ends need: the daemon as a library, its wire
/// format, and NIO's channels (an `EmbeddedChannel` stands in for a socket).
let frontEndDependencies: [Target.Dependency] = [
    .product(name: "ResolvdServer", package: "resolvd"),
    .product(name: "ResolvdProtocol", package: "resolvd"),
    .product(name: "ResolverCore", package: "resolvd"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOEmbedded", package: "swift-nio"),
    "FuzzSupport",
]

let package = Package(
    name: "resolvd-fuzz",
    dependencies: [
        .package(name: "resolvd", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .executableTarget(
            name: "FuzzDNSMessage",
            dependencies: [.product(name: "ResolverCore", package: "resolvd")]
        ),
        .executableTarget(
            name: "FuzzUpstreamTraffic",
            dependencies: [
                .product(name: "ResolverCore", package: "resolvd"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(name: "FuzzTextFiles", dependencies: frontEndDependencies),
        .executableTarget(name: "FuzzVarlink", dependencies: frontEndDependencies),
        .executableTarget(name: "FuzzRequestLines", dependencies: frontEndDependencies),
        .executableTarget(name: "FuzzDNSStub", dependencies: frontEndDependencies),
        .target(name: "FuzzSupport"),
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
