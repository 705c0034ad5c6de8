/// How long and how to train; the CLI fills it from flags.
public struct TrainingOptions: Sendable {
    public var epochs = 20
    public var maximumSteps: Int?
    public var timeLimit: Double?
    public var batchSize = 64
    public var learningRate: Float = 1e-3
    /// Adam's β₂; Vaswani et al. (§5.3) use 0.98 for Transformers.
    public var adamBeta2: Float = 0.999
    /// Clip gradients to this global norm; `nil` turns clipping off.
    public var clipNorm: Float? = 5
    /// Noam warm-up (`NoamSchedule(peakRate: learningRate, …)`): the rate rises linearly for
    /// this many steps, then falls as `1/√step`; `nil` keeps it constant.
    public var warmupSteps: Int?
    /// Validate every N steps as well as after every epoch.
    public var validateEvery: Int?
    /// Stop after this many validations without a new best score.
    public var patience: Int?
    public var bestMetric: ValidationMetric = .bleu
    public var labelSmoothing: Float = 0
    public var seed: UInt64 = 1
    /// Report progress every N steps.
    public var reportEvery = 50

    public init() {}
}

/// The dev-set figure that decides which checkpoint is best.
public enum ValidationMetric: String, CaseIterable, Sendable {
    case loss, bleu, exact

    /// Whether a larger value is better.
    var higherIsBetter: Bool { self != .loss }
}

/// One validation pass over the dev set.
public struct ValidationResult: Sendable {
    /// Mean teacher-forced cross-entropy per target token (with `</s>`).
    public var loss: Double
    public var perplexity: Double
    /// Greedy-decoding corpus BLEU, 0–100.
    public var bleu: Double
    /// Greedy-decoding exact-match accuracy, 0–100.
    public var exactMatch: Double

    public func value(of metric: ValidationMetric) -> Double {
        switch metric {
        case .loss: loss
        case .bleu: bleu
        case .exact: exactMatch
        }
    }
}

/// What the trainer tells whoever watches it.
public enum TrainingEvent: Sendable {
    /// A progress report: `tokensPerSecond` counts target tokens since the previous report.
    case progress(step: Int, epoch: Int, loss: Double, tokensPerSecond: Double, elapsed: Double, remaining: Double?)
    case validation(step: Int, epoch: Int, result: ValidationResult, isBest: Bool)
    case finished(reason: String, step: Int, elapsed: Double)
}
