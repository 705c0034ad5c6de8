import Autograd

/// The encoder side of attention, prepared once per batch.
public struct AttentionMemory {
    /// The encoder outputs `h̄`, `[B, S, M]`: what the context averages.
    public let values: Tensor
    /// What scores compare a query with, `[B, S, A]`: `U h̄` (additive), `W_a h̄` (general, local) or `h̄` (dot).
    public var keys: Tensor
    /// `[B, S]`: 1 for a real source position, 0 for padding.
    public var mask: Tensor
    /// `values` as every step's context reads them (rounded once on a bf16 path).
    private let contextValues: ContextValues

    /// - Parameter roundingValuesOnce: whether every step's context reads `values` from a copy
    ///   rounded once (`ContextValues`); `false` where no context is taken or the memory serves a
    ///   single step.
    public init(values: Tensor, keys: Tensor, mask: Tensor, roundingValuesOnce: Bool = true) {
        (self.values, self.keys, self.mask) = (values, keys, mask)
        contextValues = ContextValues(values, roundedOnce: roundingValuesOnce)
    }

    /// `S_b`, the real length of each row (its `</s>` included), read off the mask.
    public var lengths: [Int] {
        let length = mask.shape[1]
        return (0..<mask.shape[0]).map { b in (0..<length).reduce(0) { $0 + (mask.data[b * length + $1] != 0 ? 1 : 0) } }
    }

    /// The rows `indices` of every tensor, for beam search. (It selects rows at every step, as
    /// often as the context reads them: their values are rounded as they are read.)
    public func selecting(rows indices: [Int]) -> AttentionMemory {
        AttentionMemory(values: values.rows(indices), keys: keys.rows(indices), mask: mask.rows(indices),
                        roundingValuesOnce: false)
    }

    /// The multiplicative scores `qᵀ k_s` of every position at once, `[B, S]`.
    /// - Parameter query: `[B, A]`.
    func dotScores(_ query: Tensor) -> Tensor {
        let batch = query.shape[0], length = keys.shape[1]
        // [B, S, A] · [B, A, 1]
        return keys.batchedMatmul(query.reshaped([batch, query.shape[1], 1])).reshaped([batch, length])
    }

    /// The context `c = Σ_s α_s h̄_s`, `[B, M]`.
    /// - Parameter weights: `α`, `[B, S]`.
    func context(_ weights: Tensor) -> Tensor { Tensor.attentionContext(weights: weights, values: contextValues) }
}
