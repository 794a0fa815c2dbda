// swift-tools-version:6.0
//
// i2osim — a simulator of I2O IOPs served as /dev/i2o/ctl.
//
// Layering (each a target, lowest first; docs/architecture.md draws it):
//   Posix        the OS glue of the transports and the tool: descriptors, Unix sockets, threads, clocks, children.
//   I2OFormats   byte-exact I2O wire formats (frames, SGL, HRT, LCT, status block,
//                parameter operation/result lists, event records). No OS, no ioctls.
//   I2OABI       the ioctl ABI of /dev/i2o/ctl: numbers, the structs of both ABIs, errno names.
//   I2ODevice    the device seam: `ControlNode` (open/ioctl/read/write/poll/release) and the
//                caller's memory as a node sees it. Every transport serves any node.
//   IOPModel     one or more IOPs as state machines that take request frames and give
//                reply frames, as a real IOP does. Knows nothing of ioctls.
//   DPTFirmware  the Adaptec/DPT firmware module of an IOP (IOPModel's IOPFirmware).
//   Fixtures     the text description of a machine (YAML) and its loader.
//   IoctlEngine  the host driver: a ControlNode whose ioctls run through a request pipeline of
//                interceptors to the personality's handler and the model. No OS, no transport.
//   Faults, Statistics, Persistence, Trace   interceptors of the pipeline (fault rules, request
//                statistics, the state directory, request traces); Trace also replays traces and
//                passes requests to a real node.
//   Simulator    the engine with its pipeline assembled (the one place the chain is built).
//   Control      the control channel (`--control`, `i2osim ctl`).
//   CUSETransport, PreloadTransport   the transports: CUSE (libfuse3) and the LD_PRELOAD socket.
//   i2osim       the command-line tool.
//
// Dependencies, each on purpose:
//   swift-argument-parser — the CLI, its help and its validation.
//   Yams                  — YAML fixtures, with line/column marks for error messages, and its bundled
//                           libyaml (CYaml), whose event API the loader reads directly for speed.
//   swift-system          — FileDescriptor and Errno: the types of the OS glue (Sources/Posix).
//   swift-log             — the daemon's log lines (failed requests, waits, stops; per request with
//                           --verbose) and their levels (--quiet, --verbose): the CLI only; the
//                           libraries hand their lines to a closure and know no logger.
//   hummingbird           — the HTTP server of `i2osim web` (Sources/Web) on swift-nio: a maintained
//                           HTTP/1.1 stack instead of a hand-written one. Only the Web target and the
//                           CLI import it; the core targets (the model, the engine, the transports)
//                           stay free of it and of swift-nio, so their builds, tests and the fuzz and
//                           bench targets do not pay for it.
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
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // The one home of the OS glue: descriptors, Unix sockets, threads, clocks, errors (on swift-system).
        // Its two GNU extensions of the C library (pthread_setname_np, accept4), hidden by Swift's Glibc module.
        .systemLibrary(name: "CPosix"),
        .target(name: "Posix", dependencies: ["CPosix", system], swiftSettings: strict),
        .target(name: "I2OFormats", swiftSettings: strict),
        .target(name: "I2OABI", dependencies: ["I2OFormats"], swiftSettings: strict),
        .target(name: "I2ODevice", dependencies: ["I2OABI", "I2OFormats"], swiftSettings: strict),
        // The bytes of disks and logical drives: sparse media, RAID layouts, the write cache. No OS.
        .target(name: "BlockStorage", swiftSettings: strict),
        .target(name: "IOPModel", dependencies: ["I2OFormats", "BlockStorage"], swiftSettings: strict),
        // The Adaptec/DPT firmware module: one implementation of IOPModel's IOPFirmware.
        .target(name: "DPTFirmware", dependencies: ["IOPModel", "BlockStorage", "I2OFormats"], swiftSettings: strict),
        .target(name: "Fixtures", dependencies: ["IOPModel", "DPTFirmware", "BlockStorage", "I2OFormats", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        .target(name: "IoctlEngine", dependencies: ["I2OABI", "I2ODevice", "IOPModel", "I2OFormats"], swiftSettings: strict),
        // The pipeline's interceptors, each its own concern; `Simulator` assembles them around the engine.
        .target(name: "Faults", dependencies: ["IoctlEngine", "I2OABI", "I2ODevice", "IOPModel", "I2OFormats", "Posix"], swiftSettings: strict),
        .target(name: "Statistics", dependencies: ["IoctlEngine", "I2OABI", "I2ODevice", "Posix"], swiftSettings: strict),
        .target(name: "Persistence", dependencies: ["IoctlEngine", "I2OABI", "I2ODevice", "IOPModel", "I2OFormats", "BlockStorage", "Posix", system],
                swiftSettings: strict),
        .target(name: "Simulator", dependencies: ["IoctlEngine", "Faults", "Statistics", "Persistence", "Trace", "I2ODevice", "IOPModel", "I2OFormats"],
                swiftSettings: strict),
        // libfuse3's CUSE API (Debian: libfuse3-dev). Only CUSETransport sees it.
        .systemLibrary(name: "CFuse", pkgConfig: "fuse3", providers: [.apt(["libfuse3-dev"])]),
        .target(name: "CUSETransport", dependencies: ["CFuse", "I2ODevice", "I2OABI", "I2OFormats", "Posix"], swiftSettings: strict),
        // The daemon side of the LD_PRELOAD transport (the C library is Sources/CPreload, built by its build.sh).
        // Its protocol's constants come from the C side's header (CPreloadProtocol), not a copy.
        .systemLibrary(name: "CPreloadProtocol", path: "Sources/CPreloadProtocol"),
        .target(name: "PreloadTransport", dependencies: ["CPreloadProtocol", "I2ODevice", "I2OABI", "I2OFormats", "Posix", system], swiftSettings: strict),
        // The control channel (docs/control.md): line-delimited JSON over a Unix socket.
        .target(name: "Control", dependencies: ["Simulator", "Faults", "Persistence", "IoctlEngine", "I2OABI", "I2ODevice", "IOPModel",
                                                "I2OFormats", "Fixtures", "DPTFirmware", "BlockStorage", "Posix", system], swiftSettings: strict),
        // Request traces (JSON lines), fixture recording and trace replay.
        .target(name: "Trace", dependencies: ["IoctlEngine", "I2OABI", "I2ODevice", "IOPModel", "I2OFormats", "Fixtures", "Posix", system],
                swiftSettings: strict),
        // `i2osim web`: the configuration dialog in a browser, a client of the node through the ioctls only.
        .target(name: "Web", dependencies: ["I2OABI", "I2OFormats", "IOPModel", "Posix", system, .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .executableTarget(name: "i2osim", dependencies: [
            "I2OFormats", "I2OABI", "I2ODevice", "IOPModel", "DPTFirmware", "Fixtures", "IoctlEngine", "Faults", "Persistence", "Simulator",
            "CUSETransport", "PreloadTransport", "Control", "Trace", "Web", "Posix", system,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // Benchmarks (scripts/bench): the in-process benchmark and its allocation counter.
        .target(name: "CAllocCounter", path: "Benchmarks/CAllocCounter"),
        .executableTarget(name: "i2osim-bench", dependencies: [
            "CAllocCounter", "CFuse", "I2OABI", "I2ODevice", "IoctlEngine", "Simulator", "IOPModel", "I2OFormats", "Fixtures", "CUSETransport",
            .product(name: "Yams", package: "Yams"),
        ], path: "Benchmarks/I2OSimBench", swiftSettings: strict),
        // The CUSE baseline in Swift: the C server's canned answers through the same libfuse session,
        // to split the CUSE latency gap into the Swift process's own cost and i2osim's work.
        .executableTarget(name: "cuse-baseline-swift", dependencies: ["CFuse"], path: "Benchmarks/CUSEBaselineSwift",
                          swiftSettings: strict),
        // Fuzz targets (scripts/fuzz builds them with libFuzzer; plainly built, it replays corpus files).
        .executableTarget(name: "i2osim-fuzz", dependencies: ["I2OFormats", "I2OABI", "I2ODevice", "IOPModel", "DPTFirmware", "Fixtures", "IoctlEngine",
                                                          "PreloadTransport"],
                          path: "Fuzz/i2osim-fuzz"),
        // Test support shared by the test targets that drive the engine (a fake caller address space).
        .target(name: "EngineTestSupport", dependencies: ["IoctlEngine", "I2OABI", "I2ODevice", "I2OFormats"], path: "Tests/Support/EngineTestSupport",
                swiftSettings: strict),
        .testTarget(name: "HardeningTests", dependencies: ["IoctlEngine", "IOPModel", "Fixtures", "I2OFormats", "EngineTestSupport", "I2OABI", "I2ODevice", "Simulator", "Faults"],
                    path: "Tests/hardening/HardeningTests"),
        .testTarget(name: "I2OFormatsTests", dependencies: ["I2OFormats"]),
        .testTarget(name: "BlockStorageTests", dependencies: ["BlockStorage", "Persistence"]),
        .testTarget(name: "WebTests", dependencies: ["Web", "IOPModel", "I2OFormats", .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(name: "PosixTests", dependencies: ["Posix"]),
        .testTarget(name: "IOPModelTests", dependencies: ["IOPModel", "I2OFormats", "BlockStorage"]),
        .testTarget(name: "DPTFirmwareTests", dependencies: ["DPTFirmware", "IOPModel", "I2OFormats", "Fixtures", "BlockStorage"]),
        .testTarget(name: "FixturesTests", dependencies: ["Fixtures", "DPTFirmware", "IOPModel", "I2OFormats", "Posix", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "CUSETransportTests", dependencies: ["CUSETransport", "Statistics", "Trace", "IoctlEngine", "IOPModel", "Fixtures", "I2OABI", "I2ODevice", "Simulator", "Faults"]),
        .testTarget(name: "PreloadTransportTests", dependencies: ["PreloadTransport", "Posix", "IoctlEngine", "IOPModel", "Fixtures", "I2OABI", "I2ODevice", "Simulator", "Faults"]),
        .testTarget(name: "ControlTests", dependencies: ["Control", "DPTFirmware", "IoctlEngine", "IOPModel", "Fixtures", "I2OFormats", "EngineTestSupport", "I2OABI", "I2ODevice", "Simulator", "Faults", "Persistence"]),
        .testTarget(name: "TraceTests", dependencies: ["Trace", "IoctlEngine", "IOPModel", "Fixtures", "I2OFormats", "I2OABI", "I2ODevice", "Simulator", "Faults"]),
        .testTarget(name: "IoctlEngineTests", dependencies: ["IoctlEngine", "Statistics", "IOPModel", "Fixtures", "I2OFormats", "EngineTestSupport", "I2OABI", "I2ODevice"]),
    ]
)
