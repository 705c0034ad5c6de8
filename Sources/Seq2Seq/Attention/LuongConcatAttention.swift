import Autograd

/// Luong's concat score (Luong, Pham & Manning 2015, §3.1, eq. 8 "concat"):
/// `score(h_t, h̄_s) = v_aᵀ tanh(W_a [h_t; h̄_s])`, with `W_a` split into its `h̄` half (the
/// keys, computed once per batch) and its `h_t` half (with the bias); one fused op, as Bahdanau's.
/// Parameters: `key_layer.weight` (`[H, M]`), `query_layer` (`[H, H]` and bias), `energy` (`v_a`, `[H]`).
public final class LuongConcatAttention: AttentionMechanism {
    let keyLayer: Linear
    let queryLayer: Linear
    let energy: Tensor

    public init(_ shape: AttentionShape, generator: inout SeededGenerator) {
        keyLayer = Linear(inputSize: shape.memoryWidth, outputSize: shape.queryWidth, bias: false, generator: &generator)
        queryLayer = Linear(inputSize: shape.queryWidth, outputSize: shape.queryWidth, bias: true, generator: &generator)
        energy = energyVector(shape.queryWidth, generator: &generator)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("key_layer", keyLayer) + prefixed("query_layer", queryLayer) + [("energy", energy)]
    }

    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        AttentionMemory(values: outputs, keys: keyLayer(outputs), mask: mask)
    }

    /// - Parameter query: `h_t`, `[B, H]`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> (context: Tensor, weights: Tensor) {
        let scores = Tensor.additiveScores(query: queryLayer(query), keys: memory.keys, vector: energy)
        let weights = scores.softmax(mask: memory.mask)
        return (memory.context(weights), weights)
    }
}

extension AttentionKind {
    /// `score = v_aᵀ tanh(W_a [h_t; h̄_s])` (Luong et al. 2015, §3.1, "concat").
    public static let luongConcat = AttentionKind("luong-concat", placement: .afterRecurrence { LuongConcatAttention($0, generator: &$1) })
}
