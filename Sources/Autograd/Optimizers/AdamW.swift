/// Adam with decoupled weight decay (Loshchilov & Hutter 2019, "Decoupled Weight Decay
/// Regularization", Algorithm 2), step for step as `torch.optim.AdamW`: the parameter shrinks
/// by `η·λ` *before* the Adam update, and the decay never enters the moment estimates:
///
///     p = p·(1 − η·λ)
///     m = β₁·m + (1 − β₁)·g
///     v = β₂·v + (1 − β₂)·g²
///     p = p − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// The decay is scaled by the current learning rate η, as in PyTorch (the paper's schedule
/// multiplier). State as `Adam`: `exp_avg.i`, `exp_avg_sq.i`, counters `step` and `step.i`.
public final class AdamW: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public var beta1: Float { moments.beta1 }
    public var beta2: Float { moments.beta2 }
    public var epsilon: Float { moments.epsilon }
    /// λ; PyTorch's default is 0.01.
    public var weightDecay: Float
    public var stepCount: Int { moments.stepCount }
    private let moments: AdamMoments

    /// - Precondition: `0 ≤ beta1 < 1`, `0 ≤ beta2 < 1`, `epsilon ≥ 0`; no tensor listed twice.
    public init(parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0.01) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        moments = AdamMoments(parameters: parameters, beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    public func step() {
        moments.step(learningRate: learningRate, l2Decay: 0, decoupledDecay: weightDecay)
    }

    public var state: OptimizerState { moments.state }
    public func load(_ saved: OptimizerState) throws { try moments.load(saved) }
}
