// swift-tools-version:6.0
//
// i2osim — a simulator of I2O IOPs served as /dev/i2o/ctl.
//
// Layering (each a target, lowest first):
//   Posix        the OS glue of the transports and the tool: descriptors, Unix sockets, threads, clocks.
//   I2OFormats   byte-exact I2O wire formats (frames, SGL, HRT, LCT, status block,
//                parameter operation/result lists, event records). No OS, no ioctls.
//   IOPModel     one or more IOPs as state machines that take request frames and give
//                reply frames, as a real IOP does. Knows nothing of ioctls.
//   Fixtures     the text description of a machine (YAML) and its loader.
//   IoctlEngine  the host driver: /dev/i2o/ctl ioctls in both ABIs over an abstract
//                "user memory"; builds frames and posts them to the model. No transport.
//   CUSETransport  a thin adapter from libfuse3's CUSE callbacks to the engine (/dev/i2o/ctl).
//   PreloadTransport  the daemon side of the rootless LD_PRELOAD transport (Unix socket).
//   i2osim       the command-line tool.
//
// Dependencies, each on purpose:
//   swift-argument-parser — the CLI, its help and its validation.
//   Yams                  — YAML fixtures, with line/column marks for error messages, and its bundled
//                           libyaml (CYaml), whose event API the loader reads directly for speed.
//   swift-system          — FileDescriptor and Errno: the types of the OS glue (Sources/Posix).
import PackageDescription

// Release builds optimise across the modules (`-cross-module-optimization`): they are the layers of
// one program, and a request crosses five of them; inlining across the seams makes the engine's
// hot path about a tenth faster (docs/performance.md). i2osim is an application, never a
// dependency, so the flag's one cost (SwiftPM refuses unsafe flags in dependencies) does not apply.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

let system: Target.Dependency = .product(name: "SystemPackage", package: "swift-system")

let package = Package(
    name: "i2osim",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "i2osim", targets: ["i2osim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // The one home of the OS glue: descriptors, Unix sockets, threads, clocks, errors (on swift-system).
        // Its two GNU extensions of the C library (pthread_setname_np, accept4), hidden by Swift's Glibc module.
        .systemLibrary(name: "CPosix"),
        .target(name: "Posix", dependencies: ["CPosix", system], swiftSettings: strict),
        .target(name: "I2OFormats", swiftSettings: strict),
        .target(name: "IOPModel", dependencies: ["I2OFormats"], swiftSettings: strict),
        .target(name: "Fixtures", dependencies: ["IOPModel", "I2OFormats", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        .target(name: "IoctlEngine", dependencies: ["IOPModel", "I2OFormats"], swiftSettings: strict),
        // libfuse3's CUSE API (Debian: libfuse3-dev). Only CUSETransport sees it.
        .systemLibrary(name: "CFuse", pkgConfig: "fuse3", providers: [.apt(["libfuse3-dev"])]),
        .target(name: "CUSETransport", dependencies: ["CFuse", "IoctlEngine", "IOPModel", "I2OFormats", "Posix"], swiftSettings: strict),
        // The daemon side of the LD_PRELOAD transport (the C library is Sources/CPreload, built by its build.sh).
        .target(name: "PreloadTransport", dependencies: ["IoctlEngine", "I2OFormats", "Posix", system], swiftSettings: strict),
        // The control channel (docs/control.md): line-delimited JSON over a Unix socket.
        .target(name: "Control", dependencies: ["IoctlEngine", "IOPModel", "I2OFormats", "Fixtures", "Posix", system],
                swiftSettings: strict),
        // Request traces (JSON lines), fixture recording and trace replay.
        .target(name: "Trace", dependencies: ["IoctlEngine", "IOPModel", "I2OFormats", "PreloadTransport", "Fixtures", "Posix", system],
                swiftSettings: strict),
        .executableTarget(name: "i2osim", dependencies: [
            "I2OFormats", "IOPModel", "Fixtures", "IoctlEngine", "CUSETransport", "PreloadTransport", "Control", "Trace",
            "Posix", system,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),
        // Benchmarks (scripts/bench): the in-process benchmark and its allocation counter.
        .target(name: "CAllocCounter", path: "Benchmarks/CAllocCounter"),
        .executableTarget(name: "i2osim-bench", dependencies: [
            "CAllocCounter", "CFuse", "IoctlEngine", "IOPModel", "I2OFormats", "Fixtures", "CUSETransport", .product(name: "Yams", package: "Yams"),
        ], path: "Benchmarks/I2OSimBench", swiftSettings: strict),
        // The CUSE baseline in Swift: the C server's canned answers through the same libfuse session,
        // to split the CUSE latency gap into the Swift process's own cost and i2osim's work.
        .executableTarget(name: "cuse-baseline-swift", dependencies: ["CFuse"], path: "Benchmarks/CUSEBaselineSwift",
                          swiftSettings: strict),
        // Fuzz targets (scripts/fuzz builds them with libFuzzer; plainly built, it replays corpus files).
        .executableTarget(name: "i2osim-fuzz", dependencies: ["I2OFormats", "IOPModel", "Fixtures", "IoctlEngine", "PreloadTransport"],
                          path: "Fuzz/i2osim-fuzz"),
        // Test support shared by the test targets that drive the engine (a fake caller address space).
        .target(name: "EngineTestSupport", dependencies: ["IoctlEngine", "I2OFormats"], path: "Tests/Support/EngineTestSupport",
                swiftSettings: strict),
        .testTarget(name: "HardeningTests", dependencies: ["IoctlEngine", "IOPModel", "Fixtures", "I2OFormats", "EngineTestSupport"],
                    path: "Tests/hardening/HardeningTests"),
        .testTarget(name: "I2OFormatsTests", dependencies: ["I2OFormats"]),
        .testTarget(name: "IOPModelTests", dependencies: ["IOPModel", "I2OFormats"]),
        .testTarget(name: "FixturesTests", dependencies: ["Fixtures", "IOPModel", "I2OFormats", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "CUSETransportTests", dependencies: ["CUSETransport", "IoctlEngine", "IOPModel", "Fixtures"]),
        .testTarget(name: "PreloadTransportTests", dependencies: ["PreloadTransport", "IoctlEngine", "IOPModel", "Fixtures"]),
        .testTarget(name: "ControlTests", dependencies: ["Control", "IoctlEngine", "IOPModel", "Fixtures", "I2OFormats", "EngineTestSupport"]),
        .testTarget(name: "TraceTests", dependencies: ["Trace", "IoctlEngine", "IOPModel", "Fixtures", "I2OFormats"]),
        .testTarget(name: "IoctlEngineTests", dependencies: ["IoctlEngine", "IOPModel", "Fixtures", "I2OFormats", "EngineTestSupport"]),
    ]
)
