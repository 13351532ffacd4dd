// swift-tools-version:6.0
// camlab — a Swift teaching lab for class activation maps. GPL-3.0-or-later (it links GNU readline).
//
// The targets, from the bottom up:
//   CamlabKernels (C)  fast GEMM, direct-convolution and Winograd kernels with runtime CPU dispatch
//   CamlabCore         tensors and reverse-mode autodiff; depends on nothing else
//   CamlabFiles        reads whole regular files, bounded (no FIFO, no /dev/zero); depends on nothing
//   CamlabNN           layers, the camlab-model/1 file, optimizers, training
//   CamlabMethods      one file per CAM method, on a shared pipeline
//   CamlabImaging      PNG (libpng) and other image files (libgd)
//   CamlabData         the synthetic datasets with ground-truth masks, image folders
//   CamlabLab          what a person sees: terminal heatmaps, progress, reports (and CSignals, Ctrl-C)
//   camlab             the command line: parses arguments, calls the libraries
import PackageDescription

let package = Package(
    name: "camlab",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "camlab", targets: ["camlab"]),
        .library(name: "CamlabCore", targets: ["CamlabCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: Core — tensors and reverse-mode autodiff.
        // The GEMM micro-kernels carry per-function target attributes (AVX-512, AVX2+FMA) chosen at
        // run time, so no -march flag is needed and one binary runs on any x86-64 and on arm64.
        .target(name: "CamlabKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "CamlabCore", dependencies: ["CamlabKernels"]),

        // MARK: Files — whole-file reads of regular files only, bounded; depends on nothing.
        .target(name: "CamlabFiles"),

        // MARK: Neural networks — layers, the model file, optimizers, training.
        .target(name: "CamlabNN", dependencies: ["CamlabCore", "CamlabFiles"]),

        // MARK: Methods — one file per CAM method, on a shared pipeline.
        .target(name: "CamlabMethods", dependencies: ["CamlabCore", "CamlabNN"]),

        // MARK: Imaging and data — C libraries behind thin shims, each imported by one target.
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CGD", path: "Sources/CGD", pkgConfig: "gdlib", providers: [.apt(["libgd-dev"])]),
        .target(name: "CamlabImaging", dependencies: ["CPNG", "CGD", "CamlabFiles"]),
        .target(name: "CamlabData", dependencies: ["CamlabImaging", "CamlabCore", "CamlabFiles"]),

        // MARK: The lab — what the command line and the REPL show a person (terminal output, reports).
        // CSignals is the one Ctrl-C flag, in C because the line editor's poll loop reads it too.
        .target(name: "CSignals"),
        .target(name: "CamlabLab", dependencies: ["CamlabCore", "CamlabNN", "CamlabMethods", "CamlabImaging", "CamlabData", "CSignals", "CamlabFiles"]),

        // MARK: Figures — classroom figures composed in Swift, drawn through CamlabImaging's libgd canvas.
        .target(name: "CamlabFigures", dependencies: ["CamlabImaging", "CamlabCore", "CamlabNN", "CamlabMethods", "CamlabData", "CamlabLab", "CamlabFiles"]),

        // MARK: The REPL and the lessons — GNU readline behind a shim, imported by CamlabREPL alone;
        // CLineEditor is the C glue (callback interface, signal-driven poll loop) that Swift cannot write.
        .systemLibrary(name: "CReadline", path: "Sources/CReadline", pkgConfig: "readline", providers: [.apt(["libreadline-dev"])]),
        .target(name: "CLineEditor", dependencies: ["CReadline", "CSignals"], linkerSettings: [.linkedLibrary("readline")]),
        .target(name: "CamlabREPL", dependencies: [
            "CReadline", "CLineEditor", "CamlabCore", "CamlabNN", "CamlabMethods", "CamlabImaging", "CamlabData", "CamlabLab",
            "CamlabFigures", "CamlabFiles",
        ]),
        .testTarget(name: "CamlabREPLTests", dependencies: ["CamlabREPL", "CamlabCore"]),

        // MARK: Executables
        .executableTarget(name: "camlab", dependencies: [
            "CamlabCore", "CamlabNN", "CamlabMethods", "CamlabImaging", "CamlabData", "CamlabLab", "CamlabFigures", "CamlabREPL",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "camlab-bench", dependencies: ["CamlabCore", "CamlabNN", "CamlabMethods", "CamlabData"]),

        // MARK: Tests
        .testTarget(name: "CamlabCoreTests", dependencies: ["CamlabCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CamlabNNTests", dependencies: ["CamlabNN", "CamlabCore", "CamlabFiles"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CamlabMethodsTests", dependencies: ["CamlabMethods", "CamlabNN", "CamlabCore", "CamlabImaging", "CamlabData", "CamlabLab"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CamlabImagingTests", dependencies: ["CamlabImaging"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CamlabDataTests", dependencies: ["CamlabData", "CamlabImaging", "CamlabCore"]),
        .testTarget(name: "CamlabFiguresTests", dependencies: ["CamlabFigures", "CamlabImaging", "CamlabMethods", "CamlabNN", "CamlabData", "CamlabCore"],
                    resources: [.copy("Fixtures")]),
        // The readers of untrusted files, fuzzed from Corpus/ (Docs/fuzzing.md).
        .testTarget(name: "CamlabFuzzTests", dependencies: ["CamlabNN", "CamlabImaging", "CamlabData", "CamlabFigures", "CamlabREPL"],
                    exclude: ["Corpus", "Crashers"]),
        // Runs the built `camlab` executable as a user would.
        .testTarget(name: "CamlabCLITests", dependencies: ["camlab"]),
    ],
    swiftLanguageModes: [.v5]
)
