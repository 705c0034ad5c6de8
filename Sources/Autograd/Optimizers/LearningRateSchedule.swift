import Foundation

/// The learning rate as a function of the optimizer step, counted from 1 (the first `step()`).
public protocol LearningRateSchedule {
    /// The learning rate for step `step` (≥ 1).
    func learningRate(at step: Int) -> Float
}

extension Optimizer {
    /// Sets `learningRate` to `schedule`'s value for the coming step, `stepCount + 1`, then
    /// takes the step.
    public func step(following schedule: some LearningRateSchedule) {
        learningRate = schedule.learningRate(at: stepCount + 1)
        step()
    }
}

/// `η(step) = η₀`.
public struct ConstantSchedule: LearningRateSchedule, Equatable, Sendable {
    public let rate: Float

    public init(_ rate: Float) { self.rate = rate }

    public func learningRate(at step: Int) -> Float { rate }
}

/// `η(step) = η₀ · γ^⌊(step − 1) / stepSize⌋`: η₀ for steps 1…stepSize, η₀·γ for the next
/// `stepSize` steps, and so on — `torch.optim.lr_scheduler.StepLR` with its 0-based epoch
/// `= step − 1`.
public struct StepDecaySchedule: LearningRateSchedule, Equatable, Sendable {
    public let initialRate: Float
    /// γ, the factor applied every `stepSize` steps.
    public let decayFactor: Float
    public let stepSize: Int

    /// - Precondition: `stepSize ≥ 1`.
    public init(initialRate: Float, decayFactor: Float, stepSize: Int) {
        precondition(stepSize >= 1, "StepDecaySchedule needs stepSize ≥ 1, got \(stepSize)")
        self.initialRate = initialRate
        self.decayFactor = decayFactor
        self.stepSize = stepSize
    }

    public func learningRate(at step: Int) -> Float {
        let decays = Swift.max(step - 1, 0) / stepSize
        return Float(Double(initialRate) * Foundation.pow(Double(decayFactor), Double(decays)))
    }
}

/// Linear warm-up, then decay ∝ 1/√step (Vaswani et al. 2017, "Attention Is All You Need",
/// §5.3, eq. 3; the "Noam" schedule of The Annotated Transformer):
///
///     η(step) = factor · D^(−1/2) · min(step^(−1/2), step · warmup^(−3/2))
///
/// The peak, at `step = warmup`, is `factor / √(D · warmup)`. The peak form sets it directly:
/// `η(step) = peak · min(step / warmup, √(warmup / step))`. Both are `scale · min(…)` with
/// `scale = factor/√D` or `peak·√warmup`.
public struct NoamSchedule: LearningRateSchedule, Equatable, Sendable {
    /// The multiplier of `min(step^(−1/2), step · warmup^(−3/2))`.
    public let scale: Double
    public let warmupSteps: Int

    /// The paper's form; the paper uses `factor = 1`, `D = 512`, `warmupSteps = 4000`.
    /// - Precondition: `modelWidth ≥ 1`, `warmupSteps ≥ 1`.
    public init(modelWidth: Int, warmupSteps: Int, factor: Float = 1) {
        precondition(modelWidth >= 1 && warmupSteps >= 1, "NoamSchedule needs modelWidth, warmupSteps ≥ 1")
        scale = Double(factor) / Double(modelWidth).squareRoot()
        self.warmupSteps = warmupSteps
    }

    /// Rises linearly to `peakRate` at `warmupSteps`, then falls as `peakRate·√(warmup/step)`.
    /// - Precondition: `warmupSteps ≥ 1`.
    public init(peakRate: Float, warmupSteps: Int) {
        precondition(warmupSteps >= 1, "NoamSchedule needs warmupSteps ≥ 1, got \(warmupSteps)")
        scale = Double(peakRate) * Double(warmupSteps).squareRoot()
        self.warmupSteps = warmupSteps
    }

    /// - Precondition: `step ≥ 1`.
    public func learningRate(at step: Int) -> Float {
        precondition(step >= 1, "learning-rate steps count from 1, got \(step)")
        let s = Double(step), w = Double(warmupSteps)
        return Float(scale * Swift.min(1 / s.squareRoot(), s / (w * w.squareRoot())))
    }
}
