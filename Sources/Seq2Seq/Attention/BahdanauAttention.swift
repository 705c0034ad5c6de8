import Autograd

/// Additive attention (Bahdanau, Cho & Bengio 2015, §3.1 and A.1.2):
/// `e_tj = vᵀ tanh(W s_{t−1} + U h_j)`, `α_t = softmax(e_t)`, `c_t = Σ_j α_tj h_j`.
///
/// The keys `U h_j` (with bias) are computed once per batch; the scores are one fused op.
/// Parameters: `key_layer` (`U`, `[H, M]` and bias), `query_layer` (`W`, `[H, H]`, no bias), `energy` (`v`, `[H]`).
public final class BahdanauAttention: AttentionMechanism {
    let keyLayer: Linear
    let queryLayer: Linear
    let energy: Tensor

    public init(_ shape: AttentionShape, generator: inout SeededGenerator) {
        keyLayer = Linear(inputSize: shape.memoryWidth, outputSize: shape.queryWidth, bias: true, generator: &generator)
        queryLayer = Linear(inputSize: shape.queryWidth, outputSize: shape.queryWidth, bias: false, generator: &generator)
        energy = energyVector(shape.queryWidth, generator: &generator)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("key_layer", keyLayer) + prefixed("query_layer", queryLayer) + [("energy", energy)]
    }

    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        AttentionMemory(values: outputs, keys: keyLayer(outputs), mask: mask)
    }

    /// - Parameter query: `s_{t−1}`, `[B, H]`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> (context: Tensor, weights: Tensor) {
        let scores = Tensor.additiveScores(query: queryLayer(query), keys: memory.keys, vector: energy)
        let weights = scores.softmax(mask: memory.mask)
        return (memory.context(weights), weights)
    }
}

extension AttentionKind {
    /// Additive, `e_tj = vᵀ tanh(W s_{t−1} + U h_j)`, context fed into the RNN (Bahdanau et al. 2015).
    public static let bahdanau = AttentionKind("bahdanau", placement: .beforeRecurrence { BahdanauAttention($0, generator: &$1) })
}
