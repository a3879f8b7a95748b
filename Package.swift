// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The event-reading and matching targets, whose per-value loops touch class state millions of times a
/// second: in release builds the runtime's exclusive-access checks (6.5% of a hunt's instructions) are
/// left out. Debug builds, which the tests run, keep them, so an overlapping access still traps there.
let hotPathSettings: [SwiftSetting] =
    swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "sightline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sightline", targets: ["sightline"]),
        .library(name: "STIX", targets: ["STIX"]),
        .library(name: "Knowledge", targets: ["Knowledge"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries (Debian -dev packages).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CFuzzy", path: "Sources/CFuzzy", providers: [.apt(["libfuzzy-dev"])]),
        .systemLibrary(name: "CYARA", path: "Sources/CYARA", pkgConfig: "yara", providers: [.apt(["libyara-dev"])]),
        .systemLibrary(name: "CMaxMindDB", path: "Sources/CMaxMindDB", pkgConfig: "libmaxminddb", providers: [.apt(["libmaxminddb-dev"])]),
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CPCRE2", path: "Sources/CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),

        // Low-level, dependency-free domain modules.
        .target(name: "JSON", swiftSettings: swiftSettings),
        .target(name: "CivilDate", swiftSettings: swiftSettings),
        .target(name: "STIX", dependencies: ["JSON", "COpenSSL", "CivilDate"], swiftSettings: swiftSettings),
        // Vector byte scans for the JSON tape of `pattern eval` (header-only C: SSE2, word-at-a-time fallback).
        .target(name: "CJSONScan"),
        .target(
            name: "Patterning", dependencies: ["JSON", "CPCRE2", "CivilDate", "CJSONScan"], swiftSettings: swiftSettings),
        .target(name: "Indicators", dependencies: ["Patterning", "JSON"], swiftSettings: swiftSettings),
        .target(name: "Events", dependencies: ["CivilDate"], swiftSettings: hotPathSettings),
        // EVTX hot loops Swift cannot vectorize: CRC-32 folding with PCLMULQDQ, ASCII runs with SSE2.
        .target(name: "CEVTXSupport"),
        .target(name: "EVTX", dependencies: ["Events", "CZlib", "CEVTXSupport"], swiftSettings: hotPathSettings),
        .target(name: "LogFormats", dependencies: ["Events", "JSON"], swiftSettings: swiftSettings),

        // Sigma rules: the only target that imports Yams (rule files are YAML).
        .target(
            name: "Sigma", dependencies: ["Events", "JSON", "CPCRE2", "CEVTXSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: hotPathSettings),
        // Runs readers and Sigma over files and folders in parallel.
        .target(
            name: "Hunting", dependencies: ["Events", "EVTX", "LogFormats", "Sigma", "JSON"],
            swiftSettings: hotPathSettings),

        // The knowledge base: the only target that imports GRDB.
        .target(
            name: "Knowledge",
            dependencies: ["STIX", "JSON", "CZlib", .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.copy("Resources/builtin-pack.json.gz")],
            swiftSettings: swiftSettings
        ),

        // Attribution: evidence, scoring, calibration, benchmark.
        // Fuzzy-hash digests and distances (TLSH).
        .target(name: "FuzzyHash", dependencies: ["CFuzzy"], swiftSettings: swiftSettings),
        .target(name: "GeoIP", dependencies: ["CMaxMindDB"], swiftSettings: swiftSettings),
        // Suspicious files: hashes (libcrypto), ssdeep (libfuzzy) and YARA matches (libyara).
        .target(name: "FileScan", dependencies: ["CYARA", "COpenSSL", "FuzzyHash"], swiftSettings: swiftSettings),
        .target(
            name: "Attribution", dependencies: ["Knowledge", "STIX", "JSON", "FuzzyHash", "Indicators"],
            swiftSettings: swiftSettings),

        // The main job: hunt → campaigns → attribution.
        .target(
            name: "Investigation",
            dependencies: ["Hunting", "Sigma", "Events", "Attribution", "Knowledge", "STIX", "Patterning", "FileScan"],
            resources: [.copy("Rules"), .copy("YARA")], swiftSettings: swiftSettings),

        // Renders results for people (aligned tables) and machines (JSON).
        .target(name: "Reports", dependencies: ["Investigation", "Attribution", "Knowledge", "STIX", "JSON"], swiftSettings: swiftSettings),

        // The command-line tool: argument parsing and wiring only.
        .executableTarget(
            name: "sightline",
            dependencies: [
                "STIX", "Knowledge", "Attribution", "Reports", "JSON", "Patterning", "Indicators", "Events", "EVTX",
                "LogFormats", "Sigma", "Hunting", "Investigation", "GeoIP", "FileScan",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings,
            // Debian's mimalloc (libmimalloc-dev) replaces malloc for the whole process: the parsers and
            // matchers allocate many small objects, and it makes `pattern eval` and `hunt` faster.
            linkerSettings: [.linkedLibrary("mimalloc")]
        ),

        .target(name: "TestSupport", dependencies: ["JSON"], path: "Sources/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: swiftSettings),
        .testTarget(name: "FuzzyHashTests", dependencies: ["FuzzyHash", "JSON", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "GeoIPTests", dependencies: ["GeoIP"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "FileScanTests", dependencies: ["FileScan", "FuzzyHash", "JSON", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "PatterningTests", dependencies: ["Patterning", "JSON"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IndicatorsTests", dependencies: ["Indicators", "Patterning", "JSON"], swiftSettings: swiftSettings),
        .testTarget(name: "EventsTests", dependencies: ["Events"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EVTXTests", dependencies: ["EVTX", "Events", "JSON"], resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(name: "LogFormatsTests", dependencies: ["LogFormats", "Events", "JSON", "EVTX"], swiftSettings: swiftSettings),
        .testTarget(
            name: "STIXTests", dependencies: ["STIX", "JSON", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KnowledgeTests", dependencies: ["Knowledge", "STIX", "JSON", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(name: "SigmaTests", dependencies: ["Sigma", "Events", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HuntingTests", dependencies: ["Hunting", "Sigma", "Events", "EVTX", "JSON", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AttributionTests", dependencies: ["Attribution", "FuzzyHash", "Knowledge", "JSON", "Reports", "STIX", "TestSupport"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "InvestigationTests",
            dependencies: [
                "Investigation", "Hunting", "Sigma", "Attribution", "Knowledge", "Events", "STIX", "Patterning", "TestSupport",
                "FileScan", "FuzzyHash",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "SightlineCLITests", dependencies: ["sightline", "TestSupport", "JSON"], swiftSettings: swiftSettings),
    ]
)
