import CKernels
import Foundation

/// Which kernels compute matrix products: float32 FMAs, or bf16 mixed precision on the CPU's
/// AVX512-BF16 dot-product instruction or its AMX matrix unit.
///
/// bf16 is mixed precision as the field does it: the operands of every product are rounded to
/// bf16 (round to nearest even), products accumulate in float32, and everything around the
/// products (weights, optimizer state, activations, gradients) stays float32. A product of two
/// bf16 numbers is exact in float32, so the paths differ only in that rounding of the inputs
/// and in the order of the float32 sums.
public enum MatrixPath: String, CaseIterable, Sendable {
    case fp32
    /// `vdpbf16ps`: 16 lanes × 2 products per instruction (AMD Zen 4/5, Intel Cooper Lake on).
    case avx512bf16
    /// `tdpbf16ps`: a 16 × 32 by 32 × 16 tile product per instruction (Intel Sapphire Rapids on).
    case amx

    /// Whether the path rounds operands to bf16.
    public var isBF16: Bool { self != .fp32 }

    /// How `train` and the benchmarks name the path: `fp32`, `bf16 (AVX512-BF16)`, `bf16 (AMX)`.
    public var label: String {
        switch self {
        case .fp32: "fp32"
        case .avx512bf16: "bf16 (AVX512-BF16)"
        case .amx: "bf16 (AMX)"
        }
    }

    /// Whether this CPU (and OS) can run the path. AMX also needs the kernel's permission,
    /// which the first call asks for.
    public var isAvailable: Bool {
        switch self {
        case .fp32: true
        case .avx512bf16: CPUFeatures.current & Int32(ATTEND_CPU_AVX512BF16) != 0
        case .amx: CPUFeatures.amxGranted
        }
    }

    /// The fastest bf16 path this machine has, if any: AMX, else AVX512-BF16.
    public static var bestBF16: MatrixPath? { [.amx, .avx512bf16].first(where: \.isAvailable) }
}

/// The precision a user asks for (`--precision`).
public enum MatrixPrecision: String, CaseIterable, Sendable {
    /// bf16 where the CPU has AMX-BF16 or AVX512-BF16, else fp32.
    case auto
    case fp32
    case bf16
}

/// Why a requested precision or forced path cannot run here.
public struct MatrixPathError: Error, CustomStringConvertible {
    public let description: String
}

extension MatrixPath {
    /// The environment variable that forces a path (`fp32`, `avx512bf16` or `amx`), so that tests
    /// and benchmarks can exercise every path a machine has.
    public static let environmentVariable = "ATTEND_ISA"

    /// The path for a requested precision on this machine, honouring `ATTEND_ISA` when set.
    ///
    /// - Throws: `MatrixPathError` when `ATTEND_ISA` names an unknown or unavailable path, when
    ///   it contradicts an explicit precision, or when bf16 is asked for on a CPU without it.
    public static func resolve(_ precision: MatrixPrecision,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MatrixPath {
        if let forced = environment[environmentVariable], !forced.isEmpty {
            guard let path = MatrixPath(rawValue: forced) else {
                throw MatrixPathError(description: "\(environmentVariable)=\(forced) is not one of "
                                      + allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard path.isAvailable else {
                throw MatrixPathError(description: "\(environmentVariable)=\(forced): this CPU has no \(path.label) "
                                      + "(available: \(allCases.filter(\.isAvailable).map(\.rawValue).joined(separator: ", ")))")
            }
            if precision == .fp32 && path.isBF16 || precision == .bf16 && !path.isBF16 {
                throw MatrixPathError(description: "--precision \(precision.rawValue) contradicts \(environmentVariable)=\(forced)")
            }
            return path
        }
        switch precision {
        case .fp32: return .fp32
        case .auto: return bestBF16 ?? .fp32
        case .bf16:
            guard let path = bestBF16 else {
                throw MatrixPathError(description: "--precision bf16 needs AMX-BF16 or AVX512-BF16, and this CPU has neither; "
                                      + "use --precision fp32")
            }
            return path
        }
    }
}

/// What CPUID and the OS report, read once.
enum CPUFeatures {
    static let current: Int32 = attend_cpu_features()

    /// AMX needs both the CPU's support and Linux's permission for this process.
    static let amxGranted: Bool = current & Int32(ATTEND_CPU_AMX_BF16) != 0 && attend_request_amx() == 0
}
