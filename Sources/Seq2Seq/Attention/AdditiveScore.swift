import Autograd

/// The additive score `e_s = vᵀ tanh(W q + U h̄_s)` that Bahdanau's attention and Luong's
/// concat score share; they differ only in which projection has the bias.
///
/// The keys `U h̄` are computed once per batch; the scores are one fused op.
/// Parameters: `key_layer` (`U`, `[H, M]`), `query_layer` (`W`, `[H, H]`), `energy` (`v`, `[H]`).
final class AdditiveScore: Module {
    let keyLayer: Linear
    let queryLayer: Linear
    let energy: Tensor

    init(_ shape: AttentionShape, keyBias: Bool, queryBias: Bool, generator: inout SeededGenerator) {
        keyLayer = Linear(inputSize: shape.memoryWidth, outputSize: shape.queryWidth, bias: keyBias, generator: &generator)
        queryLayer = Linear(inputSize: shape.queryWidth, outputSize: shape.queryWidth, bias: queryBias, generator: &generator)
        energy = energyVector(shape.queryWidth, generator: &generator)
    }

    var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("key_layer", keyLayer) + prefixed("query_layer", queryLayer) + [("energy", energy)]
    }

    /// `U h̄` as the memory's keys. - Parameters: - outputs: `[B, S, M]`. - mask: `[B, S]`.
    func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        AttentionMemory(values: outputs, keys: keyLayer(outputs), mask: mask)
    }

    /// The weights `softmax(e)` over the unmasked positions and their context.
    /// - Parameter query: `[B, H]`. - Returns: `[B, M]` and `[B, S]`.
    func attend(_ query: Tensor, _ memory: AttentionMemory) -> (context: Tensor, weights: Tensor) {
        let weights = Tensor.additiveScores(query: queryLayer(query), keys: memory.keys, vector: energy).softmax(mask: memory.mask)
        return (memory.context(weights), weights)
    }
}
