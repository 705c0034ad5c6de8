import Autograd

/// Luong's dot score (Luong, Pham & Manning 2015, §3.1, eq. 8 "dot"): `score(h_t, h̄_s) = h_tᵀ h̄_s`.
/// No parameters; the encoder outputs must be as wide as the decoder state.
public final class LuongDotAttention: AttentionMechanism {
    public init() {}

    public var namedParameters: [(name: String, tensor: Tensor)] { [] }

    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        AttentionMemory(values: outputs, keys: outputs, mask: mask)
    }

    /// - Parameter query: `h_t`, `[B, H]`, `H = M`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> (context: Tensor, weights: Tensor) {
        let weights = memory.dotScores(query).softmax(mask: memory.mask)
        return (memory.context(weights), weights)
    }
}

extension AttentionKind {
    /// `score = h_tᵀ h̄_s` (Luong et al. 2015, §3.1, "dot").
    public static let luongDot = AttentionKind("luong-dot", placement: .afterRecurrence { _, _ in LuongDotAttention() }) { shape in
        shape.memoryWidth == shape.queryWidth ? nil
            : "luong-dot needs encoder outputs as wide as the decoder state (\(shape.memoryWidth) vs \(shape.queryWidth)); "
                + "drop --encoder-hidden-dim or use luong-general"
    }
}
