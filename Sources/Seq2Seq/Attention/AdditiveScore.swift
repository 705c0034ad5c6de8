import Autograd

/// The additive score `e_s = vᵀ tanh(W q + U h̄_s)` that Bahdanau's attention, Luong's concat
/// score and hard attention share; they differ only in which projection has the bias.
///
/// With coverage (`AttentionShape.coverage`; Tu et al. 2016, §3.1; See et al. 2017, eq. 11)
/// the score also reads how much attention each position has had so far,
/// `e_s = vᵀ tanh(W q + U h̄_s + w_c c_s)`, `c = Σ_{t' < t} α_{t'}`, with `w_c` a linear
/// layer from 1 to `H` without bias (OpenNMT's `linear_cover`).
///
/// The keys `U h̄` are computed once per batch; the scores are one fused op.
/// Parameters: `key_layer` (`U`, `[H, M]`), `query_layer` (`W`, `[H, H]`), `energy` (`v`, `[H]`),
/// and with coverage `coverage_layer.weight` (`w_c`, `[H, 1]`).
final class AdditiveScore: Module {
    let keyLayer: Linear
    let queryLayer: Linear
    let energy: Tensor
    let coverageLayer: Linear?

    /// The coverage layer is drawn last, so that a model without it draws what it always did.
    init(_ shape: AttentionShape, keyBias: Bool, queryBias: Bool, generator: inout SeededGenerator) {
        keyLayer = Linear(inputSize: shape.memoryWidth, outputSize: shape.queryWidth, bias: keyBias, generator: &generator)
        queryLayer = Linear(inputSize: shape.queryWidth, outputSize: shape.queryWidth, bias: queryBias, generator: &generator)
        energy = energyVector(shape.queryWidth, generator: &generator)
        coverageLayer = shape.coverage ? Linear(inputSize: 1, outputSize: shape.queryWidth, bias: false, generator: &generator) : nil
    }

    var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("key_layer", keyLayer) + prefixed("query_layer", queryLayer) + [("energy", energy)]
            + (coverageLayer.map { prefixed("coverage_layer", $0) } ?? [])
    }

    /// `U h̄` as the memory's keys. - Parameters: - outputs: `[B, S, M]`. - mask: `[B, S]`.
    func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        AttentionMemory(values: outputs, keys: keyLayer(outputs), mask: mask)
    }

    /// The energies `e`, `[B, S]`, before masking.
    /// - Parameters: - query: `[B, H]`. - coverage: `c`, `[B, S]`, read when the score has a coverage layer.
    func scores(_ query: Tensor, _ memory: AttentionMemory, coverage: Tensor? = nil) -> Tensor {
        let projected = queryLayer(query)
        guard let coverage, let coverageLayer else {
            return Tensor.additiveScores(query: projected, keys: memory.keys, vector: energy)
        }
        return Tensor.additiveScores(query: projected, keys: memory.keys, vector: energy, coverage: coverage,
                                     coverageWeights: coverageLayer.weight.reshaped([energy.shape[0]]))
    }

    /// The weights `softmax(e)` over the unmasked positions and their context.
    /// - Parameters: - query: `[B, H]`. - coverage: `[B, S]` or `nil`. - Returns: `[B, M]` and `[B, S]`.
    func attend(_ query: Tensor, _ memory: AttentionMemory, coverage: Tensor? = nil) -> (context: Tensor, weights: Tensor) {
        let weights = scores(query, memory, coverage: coverage).softmax(mask: memory.mask)
        return (memory.context(weights), weights)
    }
}
