// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "resolvd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ResolverCore", targets: ["ResolverCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        // Debian's libc-ares-dev (1.18.1); nothing vendored.
        .systemLibrary(
            name: "CAres",
            pkgConfig: "libcares",
            providers: [.apt(["libc-ares-dev"])]
        ),
        .target(
            name: "ResolverCore",
            dependencies: [
                "CAres",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // Real DNS servers and purpose-made upstreams for tests and benchmarks.
        .target(
            name: "ResolverTesting",
            dependencies: ["ResolverCore"]
        ),
        .testTarget(
            name: "ResolverCoreTests",
            dependencies: ["ResolverCore", "ResolverTesting", "CAres"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
