// swift-tools-version:6.0
// caloflow: CaloFlow-style calorimeter fast simulation (teacher MAF, student IAF) in Swift.
// Only the toolchain and three Debian C libraries: libhdf5-dev, libpng-dev, libopenblas-dev.
import PackageDescription

/// Release builds use -Ounchecked for the numerical core; AVX2 + FMA (x86-64-v3) is the
/// baseline every machine of this project has, so SIMD code compiles to vector instructions.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-Xcc", "-march=x86-64-v3"]),
]

let package = Package(
    name: "caloflow",
    products: [
        .executable(name: "caloflow", targets: ["caloflow"]),
        // The embedding library (C API in Sources/CCaloflowAPI/include/caloflow.h). SwiftPM names
        // the file libcaloflow-embed.so (the product name "caloflow" is the executable's);
        // scripts/install-library.sh installs it as libcaloflow.so next to the header.
        .library(name: "caloflow-embed", type: .dynamic, targets: ["CaloflowLibrary"]),
    ],
    targets: [
        // MARK: - C libraries (module map + static inline shims for macros Swift cannot import)
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),

        // MARK: - Kernels in C: the spline maps with AVX2 intrinsics (bit-identical to the Swift
        // one-element kernel; no fused multiply-adds, so the flags below are part of the numerics)
        .target(name: "CSplineKernels", path: "Sources/CSplineKernels",
                cSettings: [.unsafeFlags(["-O2", "-march=x86-64-v3", "-ffp-contract=off"])]),
        // The embedding library's packed masked-layer products (AVX2 + FMA + F16C intrinsics;
        // the order of every sum is fixed in the code, so contraction is off).
        .target(name: "CInferenceKernels", path: "Sources/CInferenceKernels",
                cSettings: [.unsafeFlags(["-O3", "-march=x86-64-v3", "-ffp-contract=off"])]),

        // MARK: - Libraries, bottom (numerics) to top (commands)
        .target(name: "CaloTensor", dependencies: ["CBLAS"], swiftSettings: fast),
        .target(name: "CaloNN", dependencies: ["CaloTensor"], swiftSettings: fast),
        .target(name: "CaloFlows", dependencies: ["CaloNN", "CaloTensor", "CSplineKernels"], swiftSettings: fast),
        .target(name: "CaloData", dependencies: ["CHDF5", "CaloTensor"], swiftSettings: fast),
        .target(name: "CaloSimulation", dependencies: ["CaloTensor", "CaloData"], swiftSettings: fast),
        .target(name: "CaloPipeline",
                dependencies: ["CaloFlows", "CaloNN", "CaloData", "CaloTensor", "CHDF5"],
                swiftSettings: fast),
        .target(name: "CaloInference",
                dependencies: ["CaloPipeline", "CaloFlows", "CaloNN", "CaloData", "CaloTensor", "CInferenceKernels"],
                swiftSettings: fast),
        // The C API: the header, the per-thread error message (C) and the exported functions (Swift).
        .target(name: "CCaloflowAPI", path: "Sources/CCaloflowAPI",
                cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "CaloflowLibrary",
                dependencies: ["CaloInference", "CCaloflowAPI", "CaloPipeline", "CaloData"],
                swiftSettings: fast),
        .target(name: "CaloEvaluation", dependencies: ["CaloNN", "CaloData", "CaloTensor"],
                swiftSettings: fast),
        .target(name: "CaloRendering", dependencies: ["CPNG", "CaloEvaluation", "CaloData"],
                swiftSettings: fast),
        .target(name: "CaloCLI",
                dependencies: ["CaloTensor", "CaloNN", "CaloFlows", "CaloData", "CaloSimulation",
                               "CaloPipeline", "CaloInference", "CaloEvaluation", "CaloRendering"],
                swiftSettings: fast),

        // MARK: - Executable
        .executableTarget(name: "caloflow", dependencies: ["CaloCLI"], swiftSettings: fast),

        // MARK: - Tests
        .testTarget(name: "CaloTensorTests", dependencies: ["CaloTensor"], swiftSettings: fast),
        .testTarget(name: "CaloNNTests", dependencies: ["CaloNN", "CaloTensor"], swiftSettings: fast),
        .testTarget(name: "CaloFlowsTests", dependencies: ["CaloFlows", "CaloNN", "CaloTensor"],
                    swiftSettings: fast),
        .testTarget(name: "CaloDataTests", dependencies: ["CaloData", "CaloTensor"],
                    exclude: ["Fixtures"], swiftSettings: fast),
        .testTarget(name: "CaloSimulationTests",
                    dependencies: ["CaloSimulation", "CaloData", "CaloTensor"], swiftSettings: fast),
        .testTarget(name: "CaloPipelineTests", dependencies: ["CaloPipeline", "CaloData", "CaloTensor"],
                    swiftSettings: fast),
        .testTarget(name: "CaloRenderingTests", dependencies: ["CaloRendering", "CaloData", "CaloTensor"], swiftSettings: fast),
        .testTarget(name: "CaloInferenceTests",
                    dependencies: ["CaloInference", "CInferenceKernels", "CaloPipeline", "CaloFlows", "CaloData", "CaloTensor"],
                    swiftSettings: fast),
        .testTarget(name: "CaloflowLibraryTests",
                    dependencies: ["CaloflowLibrary", "CCaloflowAPI", "CaloCLI", "CaloPipeline", "CaloData", "CaloTensor"],
                    swiftSettings: fast),
        .testTarget(name: "CaloCLITests", dependencies: ["CaloCLI"], swiftSettings: fast),
        .testTarget(name: "CaloEvaluationTests", dependencies: ["CaloEvaluation", "CaloData", "CaloTensor", "CaloSimulation"], swiftSettings: fast),
    ]
)
