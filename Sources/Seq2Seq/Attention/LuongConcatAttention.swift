import Autograd

/// Luong's concat score (Luong, Pham & Manning 2015, §3.1, eq. 8 "concat"):
/// `score(h_t, h̄_s) = v_aᵀ tanh(W_a [h_t; h̄_s])`, with `W_a` split into its `h̄` half (the
/// keys, computed once per batch) and its `h_t` half (with the bias): Bahdanau's additive score
/// on the current state.
/// With `--coverage`, `v_aᵀ tanh(W_a [h_t; h̄_s] + w_c c_ts)` (`AdditiveScore`).
/// Parameters: `key_layer.weight` (`[H, M]`), `query_layer` (`[H, H]` and bias), `energy` (`v_a`, `[H]`),
/// and with coverage `coverage_layer.weight` (`w_c`, `[H, 1]`).
public final class LuongConcatAttention: AttentionMechanism {
    let score: AdditiveScore

    public init(_ shape: AttentionShape, generator: inout SeededGenerator) {
        score = AdditiveScore(shape, keyBias: false, queryBias: true, generator: &generator)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { score.namedParameters }

    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory { score.prepare(outputs: outputs, mask: mask) }

    /// - Parameter query: `h_t`, `[B, H]`.
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
    /// `score = v_aᵀ tanh(W_a [h_t; h̄_s])` (Luong et al. 2015, §3.1, "concat").
    public static let luongConcat = AttentionKind("luong-concat", placement: .afterRecurrence { LuongConcatAttention($0, generator: &$1) },
                                                  takesCoverage: true)
}
