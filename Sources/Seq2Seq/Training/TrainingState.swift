import Foundation

/// Where a training run stands: what a resumed run needs besides the weights and the optimizer's
/// moments to continue exactly as the uninterrupted run would have.
///
/// Stored in a checkpoint's metadata as JSON (key `attend.training_state`). The generator's words
/// are written as 16-digit hex strings, because JSON readers (Python's included) may turn numbers
/// above 2⁵³ into doubles and lose bits. Decoding tolerates missing optional fields and ignores
/// unknown ones, so a field can be added later without breaking old or new files: add it as an
/// optional (or with a default) and decode it with `decodeIfPresent`.
public struct TrainingState: Codable, Equatable, Sendable {
    /// Optimizer steps taken so far.
    public var step: Int
    /// Completed passes over the training data.
    public var epoch: Int
    /// The `SeededGenerator` state at the moment of saving (four words).
    public var rngState: [UInt64]
    /// The best validation score so far, `nil` before the first validation. May be NaN or ±∞.
    public var bestScore: Double?
    /// What `bestScore` measures, e.g. `"bleu"` or `"loss"`.
    public var bestMetric: String?
    /// How many batches of the current epoch's order have been consumed.
    public var dataPosition: Int
    /// The optimizer's counters (its step count, Adam's per-parameter steps).
    public var optimizerCounters: [String: Int] = [:]
    /// Validations in a row without a new best score, for early stopping.
    public var validationsWithoutImprovement = 0
    /// Training time so far, over every resumed session.
    public var elapsedSeconds: Double = 0
    /// The kernels the latest session multiplied matrices with (`MatrixPath`: `fp32`,
    /// `avx512bf16` or `amx`); `nil` in checkpoints from before mixed precision, which were fp32.
    /// Weights are float32 on every path, so a checkpoint loads whatever the precision.
    public var matrixPath: String?
    /// Batches skipped for a non-finite loss or gradient (`--skip-nonfinite`), over every session.
    public var skippedBatches = 0

    public init(step: Int = 0, epoch: Int = 0, rngState: [UInt64] = [], bestScore: Double? = nil,
                bestMetric: String? = nil, dataPosition: Int = 0) {
        self.step = step
        self.epoch = epoch
        self.rngState = rngState
        self.bestScore = bestScore
        self.bestMetric = bestMetric
        self.dataPosition = dataPosition
    }

    private enum CodingKeys: String, CodingKey {
        case step, epoch, rngState = "rng_state", bestScore = "best_score", bestMetric = "best_metric"
        case dataPosition = "data_position"
        case optimizerCounters = "optimizer_counters", validationsWithoutImprovement = "validations_without_improvement"
        case elapsedSeconds = "elapsed_seconds", matrixPath = "matrix_path", skippedBatches = "skipped_batches"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        step = try container.decode(Int.self, forKey: .step)
        epoch = try container.decode(Int.self, forKey: .epoch)
        let words = try container.decode([String].self, forKey: .rngState)
        rngState = try words.map { word in
            guard word.count <= 16, let value = UInt64(word, radix: 16) else {
                throw DecodingError.dataCorruptedError(forKey: .rngState, in: container,
                                                       debugDescription: "'\(word)' is not a 64-bit hex word")
            }
            return value
        }
        bestScore = try container.decodeIfPresent(Double.self, forKey: .bestScore)
        bestMetric = try container.decodeIfPresent(String.self, forKey: .bestMetric)
        dataPosition = try container.decodeIfPresent(Int.self, forKey: .dataPosition) ?? 0
        optimizerCounters = try container.decodeIfPresent([String: Int].self, forKey: .optimizerCounters) ?? [:]
        validationsWithoutImprovement = try container.decodeIfPresent(Int.self, forKey: .validationsWithoutImprovement) ?? 0
        elapsedSeconds = try container.decodeIfPresent(Double.self, forKey: .elapsedSeconds) ?? 0
        matrixPath = try container.decodeIfPresent(String.self, forKey: .matrixPath)
        skippedBatches = try container.decodeIfPresent(Int.self, forKey: .skippedBatches) ?? 0
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(step, forKey: .step)
        try container.encode(epoch, forKey: .epoch)
        try container.encode(rngState.map(Self.hex), forKey: .rngState)
        try container.encodeIfPresent(bestScore, forKey: .bestScore)
        try container.encodeIfPresent(bestMetric, forKey: .bestMetric)
        try container.encode(dataPosition, forKey: .dataPosition)
        try container.encode(optimizerCounters, forKey: .optimizerCounters)
        try container.encode(validationsWithoutImprovement, forKey: .validationsWithoutImprovement)
        try container.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try container.encodeIfPresent(matrixPath, forKey: .matrixPath)
        if skippedBatches > 0 { try container.encode(skippedBatches, forKey: .skippedBatches) }
    }

    /// Sixteen lowercase hex digits, zero-padded, so every word has the same width.
    private static func hex(_ word: UInt64) -> String {
        let digits = String(word, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
