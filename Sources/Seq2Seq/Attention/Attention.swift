import Autograd

/// The encoder side of attention, prepared once per batch.
public struct AttentionMemory {
    /// The encoder outputs `h̄`, `[B, S, M]`: what the context averages.
    public var values: Tensor
    /// What scores compare a query with, `[B, S, A]`: `U h̄` (additive), `W_a h̄` (general, local) or `h̄` (dot).
    public var keys: Tensor
    /// `[B, S]`: 1 for a real source position, 0 for padding.
    public var mask: Tensor

    /// `S_b`, the real length of each row (its `</s>` included), read off the mask.
    public var lengths: [Int] {
        let length = mask.shape[1]
        return (0..<mask.shape[0]).map { b in (0..<length).reduce(0) { $0 + (mask.data[b * length + $1] != 0 ? 1 : 0) } }
    }

    /// The rows `indices` of every tensor, for beam search.
    public func selecting(rows indices: [Int]) -> AttentionMemory {
        AttentionMemory(values: values.rows(indices), keys: keys.rows(indices), mask: mask.rows(indices))
    }
}

/// Scores a decoder query against every source position and averages the encoder outputs:
/// `α = softmax(score(q, ·))` over unmasked positions, `c = Σ_s α_s h̄_s`.
///
/// Returns the context and the weights (JoeyNMT's convention), so training, decoding and
/// `align` all see the same alignment. The local kinds (Luong §3.2) restrict and reweight the
/// softmax around an aligned position; see `Attention+Local.swift`.
public final class Attention: Module {
    public let kind: AttentionKind
    /// `U` (additive keys), `W_a` (general, local-m, local-p).
    let keyProjection: Linear?
    /// `W` (additive query projection; for concat, the `h_t` half of `W_a`).
    let queryProjection: Linear?
    /// `v`, `[A]`, for the additive forms.
    let energy: Tensor?
    /// `W_p`, `[H, H]`, local-p's position layer (eq. 9).
    let positionLayer: Linear?
    /// `v_p`, `[H]`, local-p's position energy (eq. 9).
    let positionEnergy: Tensor?
    /// `D`: local attention looks at source positions `s` with `|s − p_t| ≤ D`.
    public let window: Int

    /// - Parameters:
    ///   - queryWidth: the decoder state width.
    ///   - memoryWidth: the encoder output width `M`.
    ///   - window: `D`, for the local kinds (Luong used 10).
    public init(kind: AttentionKind, queryWidth: Int, memoryWidth: Int, window: Int = 10, generator: inout SeededGenerator) {
        precondition(window >= 1, "the local attention window must be at least 1")
        self.kind = kind
        self.window = window
        switch kind {
        case .bahdanau, .luongConcat:
            keyProjection = Linear(inputSize: memoryWidth, outputSize: queryWidth, bias: kind == .bahdanau, generator: &generator)
            queryProjection = Linear(inputSize: queryWidth, outputSize: queryWidth, bias: kind == .luongConcat, generator: &generator)
            let bound = 1 / Float(queryWidth).squareRoot()
            energy = Tensor.uniform([queryWidth], low: -bound, high: bound, generator: &generator, requiresGrad: true)
        case .luongGeneral, .localMonotonic, .localPredictive:
            keyProjection = Linear(inputSize: memoryWidth, outputSize: queryWidth, bias: false, generator: &generator)
            queryProjection = nil
            energy = nil
        case .luongDot, .none:
            keyProjection = nil
            queryProjection = nil
            energy = nil
        }
        if kind == .localPredictive {
            positionLayer = Linear(inputSize: queryWidth, outputSize: queryWidth, bias: false, generator: &generator)
            let bound = 1 / Float(queryWidth).squareRoot()
            positionEnergy = Tensor.uniform([queryWidth], low: -bound, high: bound, generator: &generator, requiresGrad: true)
        } else {
            positionLayer = nil
            positionEnergy = nil
        }
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        let scoring = (keyProjection.map { prefixed("key_layer", $0) } ?? [])
            + (queryProjection.map { prefixed("query_layer", $0) } ?? [])
            + (energy.map { [("energy", $0)] } ?? [])
        let position = (positionLayer.map { prefixed("position_layer", $0) } ?? [])
            + (positionEnergy.map { [("position_energy", $0)] } ?? [])
        return scoring + position
    }

    /// Projects the encoder outputs once per batch.
    /// - Parameters:
    ///   - outputs: `h̄`, `[B, S, M]`.
    ///   - mask: `[B, S]`.
    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        AttentionMemory(values: outputs, keys: keyProjection.map { $0(outputs) } ?? outputs, mask: mask)
    }

    /// - Parameters:
    ///   - query: `[B, Q]`: `s_{t−1}` for Bahdanau, `h_t` for Luong.
    ///   - step: the decoder step `t`, counting from 0, the same for every row; only local-m uses it.
    /// - Returns: the context `[B, M]` and the weights `[B, S]`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> (context: Tensor, weights: Tensor) {
        let batch = query.shape[0], length = memory.keys.shape[1]
        let scores: Tensor
        if let queryProjection, let energy {
            scores = Tensor.additiveScores(query: queryProjection(query), keys: memory.keys, vector: energy)
        } else {
            // h_tᵀ k_s for every s at once: [B, S, A] · [B, A, 1]
            scores = memory.keys.batchedMatmul(query.reshaped([batch, query.shape[1], 1])).reshaped([batch, length])
        }
        let weights = kind.isLocal
            ? localWeights(scores: scores, positions: alignedPositions(query: query, memory: memory, step: step), memory: memory)
            : scores.softmax(mask: memory.mask)
        let context = weights.reshaped([batch, 1, length]).batchedMatmul(memory.values)
        return (context.reshaped([batch, memory.values.shape[2]]), weights)
    }
}
