// swift-tools-version:6.0
// caloflow: CaloFlow-style calorimeter fast simulation (teacher MAF, student IAF) in Swift.
// Only the toolchain and three Debian C libraries: libhdf5-dev, libpng-dev, libopenblas-dev;
// Open MPI (openmpi-bin, libopenmpi3) is loaded at run time by processes mpirun starts.
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

        // The fp32 peak kernel of `caloflow bench`: AVX2 baseline, AVX-512F chosen at run time.
        .target(name: "CPeakKernels", path: "Sources/CPeakKernels",
                cSettings: [.unsafeFlags(["-O2", "-march=x86-64-v3"])]),

        // MARK: - Open MPI, loaded with dlopen only in a process started by mpirun or srun, so
        // the program needs no MPI to build or to run alone (Sources/CMPI/include/caloflow_mpi.h)
        .target(name: "CMPI", path: "Sources/CMPI", cSettings: [.unsafeFlags(["-O2"])],
                linkerSettings: [.linkedLibrary("dl")]),

        // MARK: - The calling thread's treatment of subnormal floats (x86 MXCSR, AArch64 FPCR)
        .target(name: "CFloatingPoint", path: "Sources/CFloatingPoint", cSettings: [.unsafeFlags(["-O2"])]),

        // MARK: - Signal-safe removal of temporary files (static storage, unlink(2) only)
        .target(name: "CFileCleanup", path: "Sources/CFileCleanup"),

        // MARK: - Libraries, bottom (numerics) to top (commands); dependencies are the imports
        .target(name: "CaloTensor", dependencies: ["CBLAS", "CFloatingPoint"], swiftSettings: fast),
        .target(name: "CaloNN", dependencies: ["CaloTensor"], swiftSettings: fast),
        .target(name: "CaloFlows", dependencies: ["CaloNN", "CaloTensor", "CSplineKernels"], swiftSettings: fast),
        .target(name: "CaloData", dependencies: ["CFileCleanup", "CHDF5", "CaloTensor"], swiftSettings: fast),
        .target(name: "CaloSimulation", dependencies: ["CaloData", "CaloTensor"], swiftSettings: fast),
        .target(name: "CaloPipeline", dependencies: ["CaloData", "CaloFlows", "CaloNN", "CaloTensor"],
                swiftSettings: fast),
        .target(name: "CaloInference",
                dependencies: ["CInferenceKernels", "CaloData", "CaloFlows", "CaloNN", "CaloPipeline", "CaloTensor"],
                swiftSettings: fast),
        // The C API: the header, the per-thread error message (C) and the exported functions (Swift).
        .target(name: "CCaloflowAPI", path: "Sources/CCaloflowAPI",
                cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "CaloflowLibrary",
                dependencies: ["CCaloflowAPI", "CaloData", "CaloInference", "CaloPipeline"],
                swiftSettings: fast),
        // The MPI process group behind data-parallel training across processes.
        .target(name: "CaloMPI", dependencies: ["CMPI", "CaloNN", "CaloTensor"], swiftSettings: fast),
        .target(name: "CaloEvaluation", dependencies: ["CaloData", "CaloNN", "CaloTensor"], swiftSettings: fast),
        .target(name: "CaloRendering", dependencies: ["CPNG", "CaloData", "CaloEvaluation"], swiftSettings: fast),
        // Benchmarks behind `caloflow bench` (no product code path uses them).
        .target(name: "CaloBenchmarks",
                dependencies: ["CInferenceKernels", "CPeakKernels", "CaloData", "CaloEvaluation", "CaloFlows", "CaloInference",
                               "CaloNN", "CaloPipeline", "CaloSimulation", "CaloTensor"],
                swiftSettings: fast),
        .target(name: "CaloCLI",
                dependencies: ["CaloBenchmarks", "CaloData", "CaloEvaluation", "CaloFlows", "CaloMPI", "CaloPipeline",
                               "CaloInference", "CaloRendering", "CaloSimulation", "CaloTensor"],
                swiftSettings: fast),

        // MARK: - Executable
        .executableTarget(name: "caloflow", dependencies: ["CaloCLI"], swiftSettings: fast),

        // MARK: - Tests
        // Shared by the test targets: temporary directories, the training lock, gradient checks.
        .target(name: "CaloTestSupport", dependencies: ["CaloNN", "CaloPipeline", "CaloTensor"],
                path: "Tests/CaloTestSupport", swiftSettings: fast),
        .testTarget(name: "CaloTensorTests", dependencies: ["CaloTensor"], swiftSettings: fast),
        .testTarget(name: "CaloNNTests", dependencies: ["CaloNN", "CaloTensor", "CaloTestSupport"], swiftSettings: fast),
        .testTarget(name: "CaloFlowsTests", dependencies: ["CaloFlows", "CaloNN", "CaloTensor", "CaloTestSupport"],
                    swiftSettings: fast),
        .testTarget(name: "CaloDataTests", dependencies: ["CaloData", "CaloTensor", "CaloTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: fast),
        .testTarget(name: "CaloSimulationTests", dependencies: ["CaloData", "CaloSimulation", "CaloTensor"],
                    swiftSettings: fast),
        .testTarget(name: "CaloPipelineTests",
                    dependencies: ["CaloData", "CaloFlows", "CaloNN", "CaloPipeline", "CaloTensor", "CaloTestSupport"],
                    swiftSettings: fast),
        .testTarget(name: "CaloEvaluationTests",
                    dependencies: ["CaloData", "CaloEvaluation", "CaloNN", "CaloSimulation", "CaloTensor", "CaloTestSupport"],
                    swiftSettings: fast),
        .testTarget(name: "CaloRenderingTests", dependencies: ["CaloData", "CaloEvaluation", "CaloRendering"], swiftSettings: fast),
        .testTarget(name: "CaloBenchmarksTests", dependencies: ["CaloBenchmarks", "CaloFlows", "CaloTensor"],
                    swiftSettings: fast),
        .testTarget(name: "CaloCLITests",
                    dependencies: ["CaloCLI", "CaloData", "CaloPipeline", "CaloTensor", "CaloTestSupport"],
                    swiftSettings: fast),
        .testTarget(name: "CaloInferenceTests",
                    dependencies: ["CInferenceKernels", "CaloBenchmarks", "CaloData", "CaloFlows", "CaloInference", "CaloPipeline",
                                   "CaloTensor"],
                    swiftSettings: fast),
        .testTarget(name: "CaloflowLibraryTests",
                    dependencies: ["CCaloflowAPI", "CaloCLI", "CaloData", "CaloPipeline", "CaloTensor", "CaloflowLibrary"],
                    swiftSettings: fast),
    ]
)
