import Autograd
import Seq2Seq

/// Options several subcommands take, each group declared once and lifted into every command's
/// settings with `Option.lifted(_:)`, so that its name, default, help and parsing stay in one place.

/// The checkpoint `translate`, `align` and `eval` read: `--model CHECKPOINT`.
struct CheckpointSetting {
    var path: String?

    static let options: [Option<CheckpointSetting>] = [
        .text("model", \.path, valueName: "CHECKPOINT", help: "a checkpoint written by attend train (best.safetensors)"),
    ]

    /// The path, or a usage error naming the option.
    func required() throws -> String {
        guard let path else { throw CommandError.usage("--model is required") }
        return path
    }
}

/// How the engine runs, for every command that runs a model (`train`, `translate`, `align`,
/// `eval`, `bench train`, `bench gemm`): `--precision` and `--threads`, declared here once.
struct EngineSettings {
    var precision = MatrixPrecision.auto
    /// `nil`: every core (`Parallel`'s default, at most 8).
    var threads: Int?

    static let options: [Option<EngineSettings>] = [
        .choice("precision", \.precision, help: "matrix products in bf16 (mixed precision: operands rounded to bf16, "
                + "sums and everything else in float32) or fp32; auto is bf16 where the CPU has AMX-BF16 or "
                + "AVX512-BF16. \(MatrixPath.environmentVariable)=fp32|avx512bf16|amx forces a kernel"),
        .integer("threads", \.threads, unset: "all cores", help: "threads the matrix products and kernels use (at most 8)"),
    ]

    /// Sets the engine up before a command runs a model; returns the kernels chosen.
    @discardableResult
    func apply() throws -> MatrixPath {
        if let threads {
            guard threads >= 1 else { throw CommandError.usage("--threads must be at least 1") }
            Parallel.threadCount = threads
        }
        do {
            GEMM.path = try MatrixPath.resolve(precision)
            return GEMM.path
        } catch let error as MatrixPathError {
            throw CommandError.failure(error.description)
        }
    }
}
