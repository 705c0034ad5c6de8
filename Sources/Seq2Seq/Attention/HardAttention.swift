import Autograd

/// Stochastic "hard" attention (Xu, Ba, Kiros et al. 2015, "Show, Attend and Tell", §4.1):
/// Bahdanau's additive score gives the distribution `α_t = softmax(e_t)`,
/// `e_tj = vᵀ tanh(W s_{t−1} + U h_j)`, over which source location the decoder reads, and the
/// context is that one annotation, `c_t = h_{s_t}`, fed into the RNN as Bahdanau's is.
///
/// - Training: a location `s̃_t ~ Multinoulli(α_t)` is sampled at every step. A sentence uses
///   the expected context `Σ_j α_tj h_j` at every step instead with probability
///   `--hard-soft-mix` (the paper's "with probability 0.5 … set the sampled attention location
///   to its expected value"). The sampled locations are learned by REINFORCE with a baseline
///   and an entropy bonus (`HardAttentionObjective`), added to the pass's loss.
/// - Decoding and `align`: the most probable location, `c_t = h_{argmax α_t}`.
/// - Scoring a reference outside training (validation loss, perplexity): the expected context,
///   so that the score is a deterministic, smooth function of the weights.
///
/// The weights it returns are always `α_t`, the distribution (what `align` writes; `pharaoh`
/// takes its argmax, the location decoding reads).
/// Parameters: Bahdanau's (`key_layer`, `query_layer`, `energy`); buffer: `baseline` (`b̄`, `[1]`,
/// `HardAttentionObjective`).
public final class HardAttention: AttentionMechanism {
    let score: AdditiveScore
    public let settings: HardAttentionSettings
    /// `b̄`, the moving average of the log-likelihood per target token of sampled sentences,
    /// `[1]`: a buffer the training step updates, kept in checkpoints so a resumed run goes on
    /// with it.
    public let baseline: Tensor

    public init(_ shape: AttentionShape, generator: inout SeededGenerator) {
        score = AdditiveScore(shape, keyBias: true, queryBias: false, generator: &generator)
        settings = shape.hard
        baseline = Tensor.zeros([1])
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { score.namedParameters }
    public var namedBuffers: [(name: String, tensor: Tensor)] { [("baseline", baseline)] }

    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory { score.prepare(outputs: outputs, mask: mask) }

    /// The expected context (a pass outside training and decoding).
    /// - Parameter query: `s_{t−1}`, `[B, H]`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> (context: Tensor, weights: Tensor) {
        score.attend(query, memory)
    }

    /// - Parameter query: `s_{t−1}`, `[B, H]`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int, coverage: Tensor?,
                               context: inout ForwardContext) -> (context: Tensor, weights: Tensor) {
        let scores = score.scores(query, memory)
        let weights = scores.softmax(mask: memory.mask)
        if context.isTraining { return (sampledContext(scores: scores, weights: weights, memory: memory, context: &context), weights) }
        if context.isDecoding { return (memory.context(Self.oneHot(Self.mostProbable(weights), like: weights)), weights) }
        return (memory.context(weights), weights)
    }

    /// The argmax of each row of `weights` `[B, S]`.
    public static func mostProbable(_ weights: Tensor) -> [Int] {
        let length = weights.shape[1]
        return (0..<weights.shape[0]).map { b in
            let row = weights.data + b * length
            var best = 0
            for s in 1..<Swift.max(length, 1) where row[s] > row[best] { best = s }
            return best
        }
    }

    /// A draw from each row of `weights` `[B, S]` (inverse CDF of one uniform per row).
    public static func sample(_ weights: Tensor, generator: inout SeededGenerator) -> [Int] {
        let length = weights.shape[1]
        return (0..<weights.shape[0]).map { b in
            let row = weights.data + b * length
            let u = generator.nextUnit()
            var cumulative: Float = 0, last = 0
            for s in 0..<length where row[s] > 0 {
                cumulative += row[s]
                last = s
                if u < cumulative { return s }
            }
            return last  // rounding left the total just under u
        }
    }

    /// Rows with a 1 at `locations[b]` (none where it is `nil`), shaped as `weights`.
    static func oneHot(_ locations: [Int?], like weights: Tensor) -> Tensor {
        let length = weights.shape[1]
        let out = Tensor.zeros(weights.shape)
        for (b, location) in locations.enumerated() { if let location { out.data[b * length + location] = 1 } }
        return out
    }

    /// The training context: `h_{s̃}` for the sentences that sample, `Σ α h` for those that use
    /// the expected context, with the step recorded in the pass's objective.
    private func sampledContext(scores: Tensor, weights: Tensor, memory: AttentionMemory, context: inout ForwardContext) -> Tensor {
        let objective: HardAttentionObjective
        if let existing = context.lossTerm(of: HardAttentionObjective.self, owner: memory.keys) {
            objective = existing
        } else {
            // Drawn once per sentence and pass: the sentence reads expected contexts throughout.
            let expected = (0..<weights.shape[0]).map { _ in context.generator.nextUnit() < settings.softMix }
            objective = HardAttentionObjective(settings: settings, baseline: baseline, expected: expected)
            context.addLossTerm(objective, owner: memory.keys)
        }
        let drawn = Self.sample(weights, generator: &context.generator)
        let locations = drawn.enumerated().map { objective.expected[$0.offset] ? nil : $0.element }
        objective.record(logWeights: scores.logSoftmax(mask: memory.mask), weights: weights, locations: locations)
        let picked = Self.oneHot(locations, like: weights)
        if !objective.expected.contains(true) { return memory.context(picked) }
        if !objective.expected.contains(false) { return memory.context(weights) }
        let keeps = Tensor(shape: [weights.shape[0], 1], scalars: objective.expected.map { $0 ? 1 : 0 })
        return memory.context(weights * keeps + picked)
    }
}

/// How hard attention trains: the weights of its REINFORCE term and entropy bonus, and how
/// often a sentence reads the expected context instead of a sample.
public struct HardAttentionSettings: Codable, Equatable, Sendable {
    /// `λ_r`, the weight of the REINFORCE term (`--hard-reinforce`). 0.1 trained best on the
    /// shipped corpora: with half the sentences reading expected contexts, a larger weight
    /// mostly adds the noise of whole-sentence rewards (README: Results).
    public var reinforce: Float = 0.1
    /// `λ_e`, the weight of the entropy bonus (`--hard-entropy`).
    public var entropy: Float = 0.01
    /// The probability that a training sentence uses the expected context (`--hard-soft-mix`).
    public var softMix: Float = 0.5

    public init() {}

    /// A message for the first setting that cannot be used, or `nil`.
    public func problem() -> String? {
        if !(reinforce >= 0) || !(entropy >= 0) { return "--hard-reinforce and --hard-entropy must not be negative" }
        if !(0...1).contains(softMix) { return "--hard-soft-mix must be in [0, 1]" }
        return nil
    }
}

extension AttentionKind {
    /// Stochastic hard attention on Bahdanau's score (Xu et al. 2015, §4.1): a sampled location
    /// while training, the most probable one when decoding.
    public static let hard = AttentionKind("hard", placement: .beforeRecurrence { HardAttention($0, generator: &$1) })
}
