import Autograd

/// What hard attention adds to one training pass's loss (Xu et al. 2015, §4.1, eq. 12): the
/// variational lower bound `L_s = Σ_s p(s | a) log p(y | s, a)` is climbed with, per sampled
/// sentence, the likelihood gradient of its sampled path (which the cross-entropy already
/// gives) plus
///
///     λ_r (log p(y | s̃) − b) ∇ log p(s̃ | a)  +  λ_e ∇ H[s̃],
///
/// `log p(s̃ | a) = Σ_t log α_{t, s̃_t}` and `H[s̃] = Σ_t H(α_t)`. Summed over the sentences that
/// sampled and divided by the batch's target tokens `N` (the cross-entropy's scale), this is
/// the gradient of the surrogate (`surrogate`)
///
///     L̃ = −(1/N) Σ_b [λ_r A_b Σ_{t<T_b} log α_{b,t,s̃_bt} + λ_e Σ_{t<T_b} H(α_bt)],
///     A_b = log p(y_b | s̃_b) − T_b · b̄,
///
/// `T_b` the sentence's target tokens with `</s>`. The baseline is kept per target token and
/// scaled by each sentence's length, since our sentences vary in length where the paper's
/// captions barely did: `b̄` is the moving average (decay 0.9, as the paper's `b`) of the
/// log-likelihood per token of the sentences that sampled, updated once per pass after the
/// advantages are fixed, so that `b` never depends on the sample it corrects. `b̄` starts at 0.
///
/// The term is added for its gradient only: its value is 0, so the loss a run reports stays
/// the cross-entropy of the paths it read.
public final class HardAttentionObjective: LossTerm {
    let settings: HardAttentionSettings
    let baseline: Tensor
    /// Per sentence of the batch, whether it reads expected contexts this pass (no sample).
    public let expected: [Bool]
    private var logWeights: [Tensor] = []
    private var weights: [Tensor] = []
    /// Per step, each row's sampled location (`nil` for a sentence that reads expected contexts).
    public private(set) var locations: [[Int?]] = []

    /// The decay of the baseline's moving average.
    public static let baselineDecay: Float = 0.9

    init(settings: HardAttentionSettings, baseline: Tensor, expected: [Bool]) {
        self.settings = settings
        self.baseline = baseline
        self.expected = expected
    }

    /// One decoder step: `log α_t` and `α_t`, `[B, S]` on the tape, and the locations read.
    func record(logWeights: Tensor, weights: Tensor, locations: [Int?]) {
        self.logWeights.append(logWeights)
        self.weights.append(weights)
        self.locations.append(locations)
    }

    public func loss(_ outcome: PassOutcome) -> Tensor {
        let sampled = expected.indices.filter { !expected[$0] }
        guard !sampled.isEmpty, !logWeights.isEmpty else { return Tensor(0) }
        let rewards = outcome.sentenceLogLikelihoods, lengths = outcome.batch.targetLengths
        let average = baseline.data[0]
        var advantages = [Float](repeating: 0, count: expected.count)
        for b in sampled { advantages[b] = rewards[b] - Float(lengths[b]) * average }
        let rowsFirst = locations.isEmpty ? [] : (0..<expected.count).map { b in locations.map { $0[b] } }
        let term = Self.surrogate(logWeights: Tensor.stack(logWeights, axis: 1), weights: Tensor.stack(weights, axis: 1),
                                  locations: rowsFirst, advantages: advantages, targetLengths: lengths,
                                  settings: settings, tokenCount: outcome.tokenCount)
        let perToken = sampled.reduce(Float(0)) { $0 + rewards[$1] } / Float(sampled.reduce(0) { $0 + lengths[$1] })
        baseline.data[0] = Self.updatedBaseline(average, observing: perToken)
        return term - term.detached()
    }

    /// `b̄ ← 0.9 b̄ + 0.1 r`, with `r` the log-likelihood per target token of this pass's
    /// sampled sentences.
    public static func updatedBaseline(_ average: Float, observing reward: Float) -> Float {
        baselineDecay * average + (1 - baselineDecay) * reward
    }

    /// `L̃` (see the type's summary), whose gradient with respect to the scores is
    /// `−(1/N) Σ_b Σ_t [λ_r A_b (onehot(s̃_bt) − α_bt) + λ_e ∂H(α_bt)]` over the sampled rows.
    /// - Parameters:
    ///   - logWeights: `log α`, `[B, T, S]` (−∞ on masked positions).
    ///   - weights: `α`, `[B, T, S]`.
    ///   - locations: per row, per step, the sampled location; a row of `nil`s (or an empty
    ///     row) for a sentence that did not sample.
    ///   - advantages: `A_b` per row.
    ///   - targetLengths: `T_b` per row: steps from `T_b` on are padding and add nothing.
    ///   - tokenCount: `N`.
    public static func surrogate(logWeights: Tensor, weights: Tensor, locations: [[Int?]], advantages: [Float],
                                 targetLengths: [Int], settings: HardAttentionSettings, tokenCount: Int) -> Tensor {
        let (batch, steps, length) = (logWeights.shape[0], logWeights.shape[1], logWeights.shape[2])
        let scale = 1 / Float(Swift.max(tokenCount, 1))
        // Σ log α ⊙ (C + α ⊙ E): C puts −λ_r A_b / N on each sampled location, E λ_e / N on each sampled row.
        let reinforce = Tensor.zeros([batch, steps, length]), entropy = Tensor.zeros([batch, steps, 1])
        let masked = Tensor.zeros([batch, steps, length])
        for b in 0..<batch {
            let row = b < locations.count ? locations[b] : []
            guard row.contains(where: { $0 != nil }) else { continue }
            for t in 0..<Swift.min(steps, targetLengths[b]) {
                entropy.data[b * steps + t] = settings.entropy * scale
                if t < row.count, let s = row[t] { reinforce.data[(b * steps + t) * length + s] = -settings.reinforce * advantages[b] * scale }
            }
        }
        for i in 0..<masked.count where logWeights.data[i] == -Float.infinity { masked.data[i] = 1 }
        let finite = logWeights.maskedFill(masked, with: 0)
        return (finite * (weights * entropy + reinforce)).sum()
    }
}
