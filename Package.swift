// swift-tools-version:6.0
import PackageDescription

/// Without a target-ISA flag Swift scalarises `SIMD16<Float>` into `fmaf` calls and the
/// matrix kernel runs ~150× slower (../shared/design/PERFORMANCE.md). `-march=native`
/// compiles for the CPU that builds: a user who builds from source gets their own CPU's code.
/// Release builds leave out the run-time exclusivity checks (every access to a class's stored
/// property recorded and looked up): a small Transformer's training step ran 5% faster without
/// them; debug builds keep them.
let tuned: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=native"]),
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Attend",
    products: [
        .executable(name: "attend", targets: ["attend"]),
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "Seq2Seq", targets: ["Seq2Seq"]),
    ],
    targets: [
        /// The bf16 matrix kernels and CPU detection, in C because Swift cannot emit AMX or
        /// AVX512-BF16 instructions; each function carries its own target attribute.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Autograd", dependencies: ["CKernels"], swiftSettings: tuned),
        .target(name: "Seq2Seq", dependencies: ["Autograd"], swiftSettings: tuned),
        .executableTarget(name: "attend", dependencies: ["Seq2Seq", "Autograd"], swiftSettings: tuned),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd"], swiftSettings: tuned),
        .testTarget(name: "Seq2SeqTests", dependencies: ["Seq2Seq", "Autograd"], resources: [.copy("Fixtures")], swiftSettings: tuned),
        .testTarget(name: "AttendTests", dependencies: ["attend", "Autograd"], swiftSettings: tuned),
    ],
    swiftLanguageModes: [.v5]
)
