import Autograd

/// See et al.'s coverage loss (2017, "Get To The Point", §2.4, eqs. 12–13): at each target
/// step, `covloss_t = Σ_i min(α_ti, c_ti)`, the attention a source position receives again
/// after the coverage `c_t = Σ_{t' < t} α_{t'}` it already has; the loss adds
/// `λ · covloss_t` per target step. Attending to a position a second time costs, attending
/// where the coverage is still 0 does not, so the model learns not to repeat itself.
///
/// Added to the cross-entropy's per-token scale: `(λ/N) Σ_b Σ_{t < T_b} covloss_bt`, with
/// `N` the batch's target tokens and `T_b` each sentence's (steps past them are padding).
public final class CoverageLoss: LossTerm {
    /// `λ`.
    public let weight: Float
    private var steps: [Tensor] = []

    public init(weight: Float) { self.weight = weight }

    /// `Σ_i min(α_i, c_i)` of every row, `[B]`, as `Σ_i (α_i − relu(α_i − c_i))`.
    /// - Parameters: - weights: `α_t`, `[B, S]`. - coverage: `c_t`, `[B, S]`.
    public static func overlap(weights: Tensor, coverage: Tensor) -> Tensor {
        (weights - (weights - coverage).relu()).sum(axis: 1)
    }

    /// One decoder step's `covloss_t`, `[B]`.
    public func record(weights: Tensor, coverage: Tensor) {
        steps.append(Self.overlap(weights: weights, coverage: coverage))
    }

    public func loss(_ outcome: PassOutcome) -> Tensor {
        guard !steps.isEmpty else { return Tensor(0) }
        let batch = outcome.batch, count = steps.count
        let real = Tensor(shape: [batch.size, count], scalars: batch.targetLengths.flatMap { n in (0..<count).map { $0 < n ? 1 : 0 } })
        return (Tensor.stack(steps, axis: 1) * real).sum() * (weight / Float(Swift.max(outcome.tokenCount, 1)))
    }
}
