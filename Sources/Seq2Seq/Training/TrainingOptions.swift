/// How long and how to train. `options` declares each as a command-line option; the CLI keeps
/// them in `run.json` (`Codable`), so that `--resume` continues with the same schedule.
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
    /// What picks `best.safetensors`: dev exact match, the figure the shipped tasks are judged by.
    public var bestMetric: ValidationMetric = .exact
    public var labelSmoothing: Float = 0
    public var seed: UInt64 = 1
    /// Report progress every N steps.
    public var reportEvery = 50
    /// Guided alignment: the Pharaoh file with the training pairs' gold links (`""` until the
    /// CLI resolves it to the corpus folder's `train.align`); `nil` trains without.
    public var guidedAlignment: String?
    /// `λ` of guided alignment's cross-entropy (Marian's default).
    public var guidedWeight: Float = 0.1
    /// The supervised attention's decoder layer and head, counted from 1; `nil`: the last
    /// layer, the first head (as Marian).
    public var alignmentLayer: Int?
    public var alignmentHead: Int?
    /// Skip a batch whose loss or gradient is not finite (counted) instead of stopping the run.
    public var skipNonFinite = false
    /// How many probe pairs' attention to record at every validation, for `attend report`.
    public var probes = 4

    public init() {}

    /// A message for the first setting that cannot be used, or `nil`.
    public func problem() -> String? {
        if epochs < 1 { return "--epochs must be at least 1" }
        if batchSize < 1 { return "--batch-size must be at least 1" }
        if !(learningRate > 0) { return "--lr must be positive" }
        if !(0..<1).contains(adamBeta2) { return "--adam-beta2 must be in [0, 1)" }
        if let steps = maximumSteps, steps < 1 { return "--max-steps must be at least 1" }
        if let every = validateEvery, every < 1 { return "--valid-every must be at least 1" }
        if !(0..<1).contains(labelSmoothing) { return "--label-smoothing must be in [0, 1)" }
        if !(guidedWeight >= 0) { return "--guided-weight must not be negative" }
        if probes < 0 { return "--probes must not be negative" }
        return nil
    }
}

extension TrainingOptions {
    /// How long to train: the options `--resume` may change.
    public static let durationOptions: [Option<TrainingOptions>] = [
        .integer("epochs", \.epochs, help: "passes over the training data"),
        .integer("max-steps", \.maximumSteps, help: "stop after N optimizer steps"),
        .number("time-limit", \.timeLimit, valueName: "SECONDS", help: "stop after this much training time"),
    ]

    /// What a resumed run may change: how long, and whether to skip non-finite batches.
    public static let resumeOptions: [Option<TrainingOptions>] = durationOptions + [skipNonFiniteOption]

    static let skipNonFiniteOption: Option<TrainingOptions> =
        .flag("skip-nonfinite", \.skipNonFinite, help: "skip a batch whose loss or gradient is NaN or infinite (counted) instead of stopping")

    /// Every training option, in the order the help lists them.
    public static let options: [Option<TrainingOptions>] = durationOptions + [
        .integer("batch-size", \.batchSize, help: "sentence pairs per step"),
        .number("lr", \.learningRate, valueName: "RATE", help: "Adam's learning rate (the peak rate with --warmup)"),
        .number("adam-beta2", \.adamBeta2, valueName: "B", help: "Adam's second-moment decay"),
        .integer("warmup", \.warmupSteps, help: "Noam schedule: linear rise to --lr over N steps, then --lr · √(N / step); 0 = off")
            .then { if let steps = $0.warmupSteps, steps <= 0 { $0.warmupSteps = nil } },
        .number("clip", \.clipNorm, valueName: "NORM", unset: "0", help: "clip gradients to this global norm; 0 = off")
            .then { if let norm = $0.clipNorm, norm <= 0 { $0.clipNorm = nil } },
        .number("label-smoothing", \.labelSmoothing, valueName: "E", help: "label smoothing of the cross-entropy"),
        .integer("valid-every", \.validateEvery, help: "validate every N steps as well as after each epoch"),
        .integer("patience", \.patience, help: "stop after N validations without a new best score"),
        .choice("best-metric", \.bestMetric, help: "the dev figure that picks best.safetensors"),
        Option("seed", valueName: "N", help: "the initial weights, batch order and dropout", defaultText: { String($0.seed) }) { options, text in
            guard let seed = UInt64(text) else {
                throw OptionError.invalidValue(option: "seed", message: Int(text) == nil ? "expects an integer, got '\(text)'" : "must not be negative")
            }
            options.seed = seed
        },
        skipNonFiniteOption,
        .integer("probes", \.probes, help: "record the attention of N probe pairs at every validation, for attend report"),
    ] + guidanceOptions

    /// Guided alignment's options (`GuidedAlignment`).
    static let guidanceOptions: [Option<TrainingOptions>] = [
        .optionalText("guided-alignment", \.guidedAlignment, valueName: "FILE",
                      help: "add λ·CE(α, gold) for the training pairs' Pharaoh links (by default DIR/train.align)"),
        guided(.number("guided-weight", \.guidedWeight, valueName: "λ", help: "guided alignment: the weight λ of its cross-entropy")),
        guided(.integer("alignment-layer", \.alignmentLayer, valueName: "L", unset: "last",
                        help: "guided alignment: the decoder layer whose attention is supervised, 1 … L")),
        guided(.integer("alignment-head", \.alignmentHead, valueName: "H", unset: "1",
                        help: "guided alignment: the head of that layer that is supervised, 1 … h")),
    ]

    /// An option that only guided alignment reads, refused without `--guided-alignment`.
    private static func guided(_ option: Option<TrainingOptions>) -> Option<TrainingOptions> {
        option.requiring { options in
            guard options.guidedAlignment != nil else { throw OptionError.invalidValue(option: option.name, message: "needs --guided-alignment") }
        }
    }

    /// The guidance these options ask of `model` (`nil` without `--guided-alignment`): the
    /// chosen layer and head, 0-based, and the weight.
    /// - Throws: `OptionError` when the model has no such attention or cannot supervise it.
    public func alignmentGuidance(for model: any Seq2SeqModel) throws -> AlignmentGuidance? {
        guard guidedAlignment != nil else { return nil }
        guard model.hasAttention else {
            throw OptionError.invalidValue(option: "guided-alignment", message: "needs a model with attention")
        }
        let (layers, heads) = (model.attentionLayers, model.attentionHeads)
        let layer = alignmentLayer ?? layers, head = alignmentHead ?? 1
        guard (1...layers).contains(layer) else {
            throw OptionError.invalidValue(option: "alignment-layer", message: "must be 1 … \(layers): the model has \(layers) attention layer\(layers == 1 ? "" : "s")")
        }
        guard (1...heads).contains(head) else {
            throw OptionError.invalidValue(option: "alignment-head", message: "must be 1 … \(heads): the model has \(heads) head\(heads == 1 ? "" : "s")")
        }
        let choice = AttentionChoice(layer: layer - 1, head: head - 1)
        guard model.canSupervise(choice) else {
            throw OptionError.invalidValue(option: "guided-alignment", message: "is not supported by this model (\(model.modelConfiguration.summary))")
        }
        return AlignmentGuidance(choice: choice, weight: guidedWeight)
    }
}

extension TrainingOptions: Codable {
    /// The names `run.json` has always used.
    private enum CodingKeys: String, CodingKey {
        case epochs, maximumSteps, timeLimit, batchSize, learningRate, adamBeta2, clipNorm, warmupSteps = "warmup"
        case validateEvery, patience, bestMetric, labelSmoothing, seed, skipNonFinite, probes
        case guidedAlignment, guidedWeight, alignmentLayer, alignmentHead
    }

    /// Every field may be missing (`run.json` files older than it), and then has its default;
    /// an optional that is missing is unset, as it was written.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        maximumSteps = try c.decodeIfPresent(Int.self, forKey: .maximumSteps)
        timeLimit = try c.decodeIfPresent(Double.self, forKey: .timeLimit)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? learningRate
        adamBeta2 = try c.decodeIfPresent(Float.self, forKey: .adamBeta2) ?? adamBeta2
        clipNorm = try c.decodeIfPresent(Float.self, forKey: .clipNorm)
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps)
        validateEvery = try c.decodeIfPresent(Int.self, forKey: .validateEvery)
        patience = try c.decodeIfPresent(Int.self, forKey: .patience)
        bestMetric = try c.decodeIfPresent(ValidationMetric.self, forKey: .bestMetric) ?? bestMetric
        labelSmoothing = try c.decodeIfPresent(Float.self, forKey: .labelSmoothing) ?? labelSmoothing
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        guidedAlignment = try c.decodeIfPresent(String.self, forKey: .guidedAlignment)
        guidedWeight = try c.decodeIfPresent(Float.self, forKey: .guidedWeight) ?? guidedWeight
        alignmentLayer = try c.decodeIfPresent(Int.self, forKey: .alignmentLayer)
        alignmentHead = try c.decodeIfPresent(Int.self, forKey: .alignmentHead)
        skipNonFinite = try c.decodeIfPresent(Bool.self, forKey: .skipNonFinite) ?? skipNonFinite
        probes = try c.decodeIfPresent(Int.self, forKey: .probes) ?? probes
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encodeIfPresent(maximumSteps, forKey: .maximumSteps)
        try c.encodeIfPresent(timeLimit, forKey: .timeLimit)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(adamBeta2, forKey: .adamBeta2)
        try c.encodeIfPresent(clipNorm, forKey: .clipNorm)
        try c.encodeIfPresent(warmupSteps, forKey: .warmupSteps)
        try c.encodeIfPresent(validateEvery, forKey: .validateEvery)
        try c.encodeIfPresent(patience, forKey: .patience)
        try c.encode(bestMetric, forKey: .bestMetric)
        try c.encode(labelSmoothing, forKey: .labelSmoothing)
        try c.encode(seed, forKey: .seed)
        try c.encode(skipNonFinite, forKey: .skipNonFinite)
        try c.encode(probes, forKey: .probes)
        // Only with guided alignment, so that other runs' run.json reads as before.
        if let guidedAlignment {
            try c.encode(guidedAlignment, forKey: .guidedAlignment)
            try c.encode(guidedWeight, forKey: .guidedWeight)
            try c.encodeIfPresent(alignmentLayer, forKey: .alignmentLayer)
            try c.encodeIfPresent(alignmentHead, forKey: .alignmentHead)
        }
    }
}

/// What the trainer tells whoever watches it.
public enum TrainingEvent: Sendable {
    /// A progress report: `tokensPerSecond` counts target tokens since the previous report.
    case progress(step: Int, epoch: Int, loss: Double, tokensPerSecond: Double, elapsed: Double, remaining: Double?)
    case validation(step: Int, epoch: Int, result: ValidationResult, isBest: Bool)
    case finished(reason: String, step: Int, elapsed: Double)
    /// A batch whose loss or gradient norm was not finite was skipped (`--skip-nonfinite`);
    /// `total` counts the run's skipped batches so far.
    case skipped(step: Int, loss: Float, gradientNorm: Float, total: Int)
}
