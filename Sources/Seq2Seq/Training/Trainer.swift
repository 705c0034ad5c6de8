import Autograd
import Foundation

/// The training loop: teacher-forced cross-entropy, Adam with clipping, validation on the dev
/// set, `last` and `best` checkpoints, early stopping, and an exact resume.
///
/// Everything random comes from `options.seed`: the initial weights, each epoch's batch order
/// (`Batcher`), and dropout (the generator saved in every checkpoint), so a run that is
/// interrupted and resumed computes the same losses as one that is not.
public final class Trainer {
    public let model: any Seq2SeqModel
    public let options: TrainingOptions
    public let sourceVocabulary: Vocabulary
    public let targetVocabulary: Vocabulary
    public private(set) var state: TrainingState
    let optimizer: Adam
    let batcher: Batcher
    let dev: [(source: [Int], target: [Int])]
    let runFolder: URL
    /// What guided alignment supervises, or `nil` (`TrainingOptions.alignmentGuidance`).
    let guidance: AlignmentGuidance?
    /// The merges the training pairs were segmented with, saved in every checkpoint.
    public var subwords: Subwords?
    private var generator: SeededGenerator
    private var log: MetricsLog
    private var lastValidatedStep: Int?
    /// Asked after every step; when it answers `true` the run saves `last` and returns (the CLI
    /// sets it from SIGINT and SIGTERM).
    public var shouldStop: () -> Bool = { false }
    /// Records the probes' attention and the dev AER at every validation, for `attend report`.
    public var recorder: ValidationRecorder?
    /// The epoch in progress, counted from 1 (the last one, between epochs).
    private var displayedEpoch: Int { state.dataPosition == 0 ? Swift.max(state.epoch, 1) : state.epoch + 1 }

    /// - Parameters:
    ///   - resume: a checkpoint of this run to continue from.
    ///   - trainAlignments: the gold links of each training pair, for guided alignment.
    public init(model: any Seq2SeqModel, sourceVocabulary: Vocabulary, targetVocabulary: Vocabulary,
                train: [(source: [Int], target: [Int])], dev: [(source: [Int], target: [Int])],
                options: TrainingOptions, runFolder: URL, resume: Checkpoint? = nil,
                trainAlignments: [Set<AlignmentLink>]? = nil) throws {
        self.model = model
        self.options = options
        self.sourceVocabulary = sourceVocabulary
        self.targetVocabulary = targetVocabulary
        self.dev = dev
        self.runFolder = runFolder
        optimizer = Adam(parameters: model.parameters, learningRate: options.learningRate, beta2: options.adamBeta2)
        batcher = Batcher(pairs: train, batchSize: options.batchSize, seed: options.seed, alignments: trainAlignments)
        guidance = try options.alignmentGuidance(for: model)
        if guidance != nil && trainAlignments == nil {
            throw OptionError.invalidValue(option: "guided-alignment", message: "has no gold links for the training pairs")
        }
        state = TrainingState()
        generator = SeededGenerator(seed: options.seed &+ 1)
        try FileManager.default.createDirectory(at: runFolder, withIntermediateDirectories: true)
        log = try MetricsLog(folder: runFolder, appending: resume != nil)
        if let resume { try restore(resume) }
    }

    private func restore(_ checkpoint: Checkpoint) throws {
        try ModelState.load(checkpoint.parameters, into: model)
        var saved = OptimizerState(counters: checkpoint.trainingState.optimizerCounters)
        for (name, tensor) in checkpoint.optimizerState { saved.tensors[name] = tensor }
        try optimizer.load(saved)
        state = checkpoint.trainingState
        if let restored = SeededGenerator(state: state.rngState) { generator = restored }
    }

    /// Trains until the epochs, steps, time or patience run out.
    public func run(report: (TrainingEvent) -> Void) throws {
        let start = Stopwatch()
        let sessionStart = state.elapsedSeconds
        var elapsed: Double { sessionStart + start.seconds }
        var windowTokens = 0, windowLoss = 0.0, windowSteps = 0, window = Stopwatch()
        while state.epoch < options.epochs {
            let batches = batcher.batches(epoch: state.epoch)
            while state.dataPosition < batches.count {
                let batch = batches[state.dataPosition]
                let outcome = try trainStep(batch)
                state.step += 1
                state.dataPosition += 1
                if outcome.applied {
                    windowTokens += batch.targetTokenCount
                    windowLoss += Double(outcome.loss)
                    windowSteps += 1
                } else {
                    state.skippedBatches += 1
                    report(.skipped(step: state.step, loss: outcome.loss, gradientNorm: outcome.norm, total: state.skippedBatches))
                }
                // A skipped batch's row keeps its non-finite loss: the log counts it.
                try log.step(state.step, epoch: state.epoch + 1, loss: outcome.loss, tokens: batch.targetTokenCount,
                             learningRate: optimizer.learningRate, elapsed: elapsed)
                if state.step % options.reportEvery == 0 {
                    let seconds = window.seconds
                    report(.progress(step: state.step, epoch: state.epoch + 1, loss: windowLoss / Double(Swift.max(windowSteps, 1)),
                                     tokensPerSecond: Double(windowTokens) / Swift.max(seconds, 1e-9), elapsed: elapsed,
                                     remaining: remaining(batchesPerEpoch: batches.count, elapsed: elapsed - sessionStart)))
                    (windowTokens, windowLoss, windowSteps, window) = (0, 0, 0, Stopwatch())
                }
                if let every = options.validateEvery, state.step % every == 0 {
                    state.elapsedSeconds = elapsed
                    if try validateAndSave(report: report) { return finish("patience ran out", report) }
                }
                if let limit = options.maximumSteps, state.step >= limit {
                    state.elapsedSeconds = elapsed
                    _ = try validateAndSave(report: report)
                    return finish("reached \(limit) steps", report)
                }
                if let limit = options.timeLimit, elapsed - sessionStart >= limit {
                    state.elapsedSeconds = elapsed
                    _ = try validateAndSave(report: report)
                    return finish("reached the time limit of \(Int(limit)) s", report)
                }
                if shouldStop() {
                    state.elapsedSeconds = elapsed
                    try saveLast()
                    return finish("interrupted; last.safetensors holds step \(state.step)", report)
                }
            }
            state.epoch += 1
            state.dataPosition = 0
            state.elapsedSeconds = elapsed
            if try validateAndSave(report: report) { return finish("patience ran out", report) }
        }
        finish("trained \(options.epochs) epochs", report)
    }

    /// Writes `last` as the run stands now, unless this step's validation just did.
    private func saveLast() throws {
        if lastValidatedStep == state.step { return }
        try checkpoint().save(inRunFolder: runFolder, isBest: false)
    }

    private func finish(_ reason: String, _ report: (TrainingEvent) -> Void) {
        report(.finished(reason: reason, step: state.step, elapsed: state.elapsedSeconds))
    }

    /// One optimisation step: the batch's mean token loss, the gradient norm, and whether the
    /// step was applied (not when they are not finite and `skipNonFinite` is set).
    /// - Throws: `TrainingError.diverged`, before the optimizer moves, when the loss or the
    ///   gradients are not finite (they would make every weight NaN) and `skipNonFinite` is not set.
    private func trainStep(_ batch: Batch) throws -> (loss: Float, norm: Float, applied: Bool) {
        var context = ForwardContext(isTraining: true, generator: generator)
        context.guidance = guidance
        // The weights stay as they are until the optimizer's step: products may keep them packed.
        let loss = withFrozenParameters {
            let loss = model.loss(batch, labelSmoothing: options.labelSmoothing, context: &context)
            loss.backward()
            return loss
        }
        generator = context.generator
        let norm = clipGradientNorm(model.parameters, maxNorm: options.clipNorm ?? .infinity)  // ∞: measured, not clipped
        guard loss.item.isFinite, norm.isFinite else {
            guard options.skipNonFinite else {
                throw TrainingError.diverged(step: state.step + 1, loss: loss.item, gradientNorm: norm)
            }
            optimizer.zeroGradients()
            return (loss.item, norm, false)
        }
        if let warmup = options.warmupSteps {
            optimizer.step(following: NoamSchedule(peakRate: options.learningRate, warmupSteps: warmup))
        } else {
            optimizer.step()
        }
        optimizer.zeroGradients()
        return (loss.item, norm, true)
    }

    private func remaining(batchesPerEpoch: Int, elapsed: Double) -> Double? {
        let done = state.step
        guard done > 0, elapsed > 0 else { return nil }
        var total = options.epochs * batchesPerEpoch
        if let limit = options.maximumSteps { total = Swift.min(total, limit) }
        let byTime = options.timeLimit.map { Swift.max(0, $0 - elapsed) }
        let bySteps = Double(Swift.max(0, total - done)) * elapsed / Double(done)
        return byTime.map { Swift.min($0, bySteps) } ?? bySteps
    }

    /// Validates, writes `last` (and `best` when improved); returns whether patience ran out.
    private func validateAndSave(report: (TrainingEvent) -> Void) throws -> Bool {
        if lastValidatedStep == state.step { return false }
        lastValidatedStep = state.step
        let result = Evaluator(model: model, targetVocabulary: targetVocabulary, batchSize: options.batchSize,
                               joinsSubwords: subwords != nil).validate(dev)
        let score = result.value(of: options.bestMetric)
        let improved = state.bestScore.map { options.bestMetric.higherIsBetter ? score > $0 : score < $0 } ?? true
        if improved {
            state.bestScore = score
            state.bestMetric = options.bestMetric.rawValue
            state.validationsWithoutImprovement = 0
        } else {
            state.validationsWithoutImprovement += 1
        }
        try log.validation(state.step, epoch: displayedEpoch, result)
        try checkpoint().save(inRunFolder: runFolder, isBest: improved)
        try recorder?.record(step: state.step, epoch: displayedEpoch, model: model)
        report(.validation(step: state.step, epoch: displayedEpoch, result: result, isBest: improved))
        return options.patience.map { state.validationsWithoutImprovement >= $0 } ?? false
    }

    /// The whole run as it stands: weights, optimizer moments, vocabularies, progress.
    public func checkpoint() throws -> Checkpoint {
        let saved = optimizer.state
        state.optimizerCounters = saved.counters
        state.rngState = generator.state
        state.matrixPath = GEMM.path.rawValue
        var checkpoint = Checkpoint(parameters: model.namedState, optimizerState: saved.tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                    configuration: try model.modelConfiguration.json(),
                                    sourceVocabulary: sourceVocabulary.tokens, targetVocabulary: targetVocabulary.tokens, trainingState: state)
        checkpoint.subwords = subwords
        return checkpoint
    }
}

/// Seconds on the monotonic clock (the wall clock may jump).
struct Stopwatch {
    private let start = DispatchTime.now().uptimeNanoseconds
    var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}
