import Autograd

/// The encoder side of attention, prepared once per batch.
public struct AttentionMemory {
    /// The encoder outputs `h̄`, `[B, S, M]`: what the context averages.
    public var values: Tensor
    /// What scores compare a query with, `[B, S, A]`: `U h̄` (additive), `W_a h̄` (general) or `h̄` (dot).
    public var keys: Tensor
    /// `[B, S]`: 1 for a real source position, 0 for padding.
    public var mask: Tensor

    /// The rows `indices` of every tensor, for beam search.
    public func selecting(rows indices: [Int]) -> AttentionMemory {
        AttentionMemory(values: values.rows(indices), keys: keys.rows(indices), mask: mask.rows(indices))
    }
}

/// Scores a decoder query against every source position and averages the encoder outputs:
/// `α = softmax(score(q, ·))` over unmasked positions, `c = Σ_s α_s h̄_s`.
///
/// Returns the context and the weights (JoeyNMT's convention), so training, decoding and
/// `align` all see the same alignment.
public final class Attention: Module {
    public let kind: AttentionKind
    /// `U` (additive keys), `W_a` (general).
    let keyProjection: Linear?
    /// `W` (additive query projection; for concat, the `h_t` half of `W_a`).
    let queryProjection: Linear?
    /// `v`, `[A]`, for the additive forms.
    let energy: Tensor?

    /// - Parameters:
    ///   - queryWidth: the decoder state width.
    ///   - memoryWidth: the encoder output width `M`.
    public init(kind: AttentionKind, queryWidth: Int, memoryWidth: Int, generator: inout SeededGenerator) {
        self.kind = kind
        switch kind {
        case .bahdanau, .luongConcat:
            keyProjection = Linear(inputSize: memoryWidth, outputSize: queryWidth, bias: kind == .bahdanau, generator: &generator)
            queryProjection = Linear(inputSize: queryWidth, outputSize: queryWidth, bias: kind == .luongConcat, generator: &generator)
            let bound = 1 / Float(queryWidth).squareRoot()
            energy = Tensor.uniform([queryWidth], low: -bound, high: bound, generator: &generator, requiresGrad: true)
        case .luongGeneral:
            keyProjection = Linear(inputSize: memoryWidth, outputSize: queryWidth, bias: false, generator: &generator)
            queryProjection = nil
            energy = nil
        case .luongDot, .none:
            keyProjection = nil
            queryProjection = nil
            energy = nil
        }
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        (keyProjection.map { prefixed("key_layer", $0) } ?? [])
            + (queryProjection.map { prefixed("query_layer", $0) } ?? [])
            + (energy.map { [("energy", $0)] } ?? [])
    }

    /// Projects the encoder outputs once per batch.
    /// - Parameters:
    ///   - outputs: `h̄`, `[B, S, M]`.
    ///   - mask: `[B, S]`.
    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        AttentionMemory(values: outputs, keys: keyProjection.map { $0(outputs) } ?? outputs, mask: mask)
    }

    /// - Parameter query: `[B, Q]`: `s_{t−1}` for Bahdanau, `h_t` for Luong.
    /// - Returns: the context `[B, M]` and the weights `[B, S]`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory) -> (context: Tensor, weights: Tensor) {
        let batch = query.shape[0], length = memory.keys.shape[1]
        let scores: Tensor
        if let queryProjection, let energy {
            scores = Tensor.additiveScores(query: queryProjection(query), keys: memory.keys, vector: energy)
        } else {
            // h_tᵀ k_s for every s at once: [B, S, A] · [B, A, 1]
            scores = memory.keys.batchedMatmul(query.reshaped([batch, query.shape[1], 1])).reshaped([batch, length])
        }
        let weights = scores.softmax(mask: memory.mask)
        let context = weights.reshaped([batch, 1, length]).batchedMatmul(memory.values)
        return (context.reshaped([batch, memory.values.shape[2]]), weights)
    }
}
