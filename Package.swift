// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "flotilla",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "flotilla", targets: ["flotilla"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "flotilla",
            dependencies: [
                "FleetTLS", "FleetServer", "FleetConsole", "FleetStore", "FleetProtocol", "FleetAgent",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "FleetTLS",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "FleetTLS", "FleetServer", "FleetStore", "FleetProtocol", "FleetAgent",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"
        ),
        .target(
            name: "FleetProtocol"
        ),
        .target(
            name: "FleetStore",
            dependencies: [
                "FleetTLS", "FleetProtocol",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "FleetServer",
            dependencies: [
                "FleetTLS", "FleetStore", "FleetProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "FleetConsole",
            dependencies: [
                "FleetTLS", "FleetStore", "FleetProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .systemLibrary(
            name: "CFlotillaZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "FleetAgent",
            dependencies: [
                "FleetTLS", "FleetProtocol", "CFlotillaZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "fleet-simulator",
            dependencies: [
                "FleetAgent", "FleetTLS", "FleetStore", "FleetServer", "FleetProtocol", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/FleetSimulator"
        ),
        .executableTarget(
            name: "fault-soak",
            dependencies: [
                "FleetAgent", "FleetTLS", "FleetStore", "FleetServer", "FleetProtocol", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/FaultSoak"
        ),
        .executableTarget(
            name: "es-standin",
            dependencies: [
                "FleetTLS", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/ElasticsearchStandIn"
        ),
        // The parsers that read untrusted bytes, as fuzz targets: replayed from their corpus by FuzzTargetsTests, and
        // fuzzed by scripts/fuzz.sh, which builds flotilla-fuzz with -sanitize=fuzzer in a build path of its own.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "FleetAgent", "FleetServer", "FleetTLS", "FleetProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Fuzz/Targets"
        ),
        .executableTarget(
            name: "flotilla-fuzz",
            dependencies: ["FuzzTargets"],
            path: "Fuzz/Driver"
        ),
        .testTarget(
            name: "FlotillaCLITests",
            dependencies: ["flotilla"]
        ),
        .testTarget(
            name: "FuzzTargetsTests",
            dependencies: ["FuzzTargets", "TestSupport"]
        ),
        .testTarget(
            name: "FleetTLSTests",
            dependencies: [
                "FleetTLS",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        .testTarget(
            name: "FleetStoreTests",
            dependencies: ["FleetStore", "FleetServer", "FleetTLS", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "FleetServerTests",
            dependencies: [
                "FleetServer", "FleetStore", "FleetProtocol", "FleetTLS", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "FleetAgentTests",
            dependencies: ["FleetAgent", "FleetServer", "FleetStore", "FleetProtocol", "FleetTLS", "TestSupport"]
        ),
        .testTarget(
            name: "FleetConsoleTests",
            dependencies: [
                "FleetConsole", "FleetServer", "FleetAgent", "FleetStore", "FleetProtocol", "FleetTLS", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["FleetTLS", "FleetStore", "FleetProtocol", "FleetAgent", "FleetServer", "TestSupport",
                .product(name: "X509", package: "swift-certificates")]
        ),
    ]
)
