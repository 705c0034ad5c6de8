import Autograd

/// `--precision auto|fp32|bf16`, shared by `train`, `translate`, `align`, `eval` and `bench`.
extension MatrixPrecision {
    static let help = "auto (bf16 where the CPU has AMX-BF16 or AVX512-BF16, else fp32), fp32 or bf16; "
        + "\(MatrixPath.environmentVariable)=fp32|avx512bf16|amx forces a kernel"

    static func parse(_ text: String) throws -> MatrixPrecision {
        guard let precision = MatrixPrecision(rawValue: text) else {
            throw CommandError.usage("--precision must be auto, fp32 or bf16, not '\(text)'")
        }
        return precision
    }

    /// Sets the engine's matrix path for this precision, or explains why it cannot run here.
    func activate() throws -> MatrixPath {
        do {
            GEMM.path = try MatrixPath.resolve(self)
            return GEMM.path
        } catch let error as MatrixPathError {
            throw CommandError.failure(error.description)
        }
    }
}
