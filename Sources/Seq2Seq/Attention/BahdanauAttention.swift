import Autograd

/// Additive attention (Bahdanau, Cho & Bengio 2015, §3.1 and A.1.2):
/// `e_tj = vᵀ tanh(W s_{t−1} + U h_j)`, `α_t = softmax(e_t)`, `c_t = Σ_j α_tj h_j`.
/// With `--coverage`, `e_tj = vᵀ tanh(W s_{t−1} + U h_j + w_c c_tj)` (`AdditiveScore`).
/// Parameters: `key_layer` (`U`, `[H, M]` and bias), `query_layer` (`W`, `[H, H]`, no bias), `energy` (`v`, `[H]`),
/// and with coverage `coverage_layer.weight` (`w_c`, `[H, 1]`).
public final class BahdanauAttention: AttentionMechanism {
    let score: AdditiveScore

    public init(_ shape: AttentionShape, generator: inout SeededGenerator) {
        score = AdditiveScore(shape, keyBias: true, queryBias: false, generator: &generator)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { score.namedParameters }

    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory { score.prepare(outputs: outputs, mask: mask) }

    /// - Parameter query: `s_{t−1}`, `[B, H]`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> (context: Tensor, weights: Tensor) {
        score.attend(query, memory)
    }

    /// - Parameter coverage: `c_t`, `[B, S]`, read by the score when built with coverage.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int, coverage: Tensor?,
                               context: inout ForwardContext) -> (context: Tensor, weights: Tensor) {
        score.attend(query, memory, coverage: coverage)
    }
}

extension AttentionKind {
    /// Additive, `e_tj = vᵀ tanh(W s_{t−1} + U h_j)`, context fed into the RNN (Bahdanau et al. 2015).
    public static let bahdanau = AttentionKind("bahdanau", placement: .beforeRecurrence { BahdanauAttention($0, generator: &$1) },
                                               takesCoverage: true)
}
