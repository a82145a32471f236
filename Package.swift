// swift-tools-version:6.1
import PackageDescription

/// The daemon's own code skips run-time exclusivity checks (`swift_beginAccess`) in release
/// builds: they were ~6–10 % of its CPU per cached request (perf, docs/performance.md).
/// Debug and test builds keep them. Only for ResolvdServer: SwiftPM refuses unsafe flags in
/// the products that packages depending on this one by URL use (ResolverCore, ResolverClient,
/// ResolvdProtocol); the ResolvdServer product is for Fuzz/, which depends on it by path.
let daemonReleaseSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "resolvd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ResolverCore", targets: ["ResolverCore"]),
        .library(name: "ResolverClient", targets: ["ResolverClient"]),
        // The wire format on its own, for the fuzz targets (Fuzz/Package.swift).
        .library(name: "ResolvdProtocol", targets: ["ResolvdProtocol"]),
        // The daemon as a library, for the fuzz targets only (Fuzz/Package.swift depends on this
        // package by path, and SwiftPM accepts unsafe flags from a local dependency).
        .library(name: "ResolvdServer", targets: ["ResolvdServer"]),
        .executable(name: "resolvd", targets: ["resolvd"]),
        .executable(name: "resolvdctl", targets: ["resolvdctl"]),
        .executable(name: "resolvd-bench", targets: ["resolvd-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Debian's libc-ares-dev (1.18.1); nothing vendored.
        .systemLibrary(
            name: "CAres",
            pkgConfig: "libcares",
            providers: [.apt(["libc-ares-dev"])]
        ),
        // The value types the engine, the daemon and the client share (result codes, errors,
        // families, requests, answers, entries); no dependencies, so the client links no c-ares.
        .target(name: "ResolverTypes"),
        .target(
            name: "ResolverCore",
            dependencies: [
                "ResolverTypes",
                "CAres",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Real DNS servers and purpose-made upstreams for tests and benchmarks, and a real
        // resolvd process with a raw line client for the end-to-end tests of every module.
        .target(
            name: "ResolverTesting",
            dependencies: ["ResolverCore", "ResolvdProtocol"]
        ),
        // Protocol v1, defined once for the daemon and the client: operations, typed requests
        // and replies, their encoders and decoders, the line framer and the JSON codec.
        .target(
            name: "ResolvdProtocol",
            dependencies: [
                "ResolverTypes",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The daemon as a library (server, protocol, configuration), so tests can run it in-process.
        .target(
            name: "ResolvdServer",
            dependencies: [
                "ResolverCore",
                "ResolvdProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: daemonReleaseSettings
        ),
        .executableTarget(
            name: "resolvd",
            dependencies: [
                "ResolvdServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ResolverClient",
            dependencies: [
                "ResolverTypes",
                "ResolvdProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "resolvdctl",
            dependencies: [
                "ResolverClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // ResolverCore vs a single-channel c-ares loop (docs/performance.md); `make bench-core`.
        .executableTarget(
            name: "resolvd-bench",
            dependencies: [
                "ResolverCore", "ResolverTesting", "ResolvdProtocol", "ResolvdServer", "CAres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // One test target per module.
        .testTarget(
            name: "ResolverCoreTests",
            dependencies: [
                "ResolverCore", "ResolverTesting", "CAres",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ResolvdProtocolTests",
            dependencies: [
                "ResolvdProtocol", "ResolverTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ResolvdServerTests",
            dependencies: [
                "ResolvdServer", "ResolvdProtocol", "ResolverCore", "ResolverTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // EmbeddedChannel and NIOAsyncTestingChannel, for ConnectionHandlerTests.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ResolverClientTests",
            dependencies: [
                "ResolverClient", "ResolvdProtocol", "ResolverTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // resolvdctl's own formatting, without a daemon (its subcommands end to end are in
        // ResolvdServerTests: ResolvdctlCommandTests, ObserveCommandLineTests).
        .testTarget(name: "ResolvdctlTests", dependencies: ["resolvdctl"]),
    ],
    swiftLanguageModes: [.v6]
)
