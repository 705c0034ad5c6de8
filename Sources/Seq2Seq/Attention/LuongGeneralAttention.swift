import Autograd

/// Luong's general score (Luong, Pham & Manning 2015, §3.1, eq. 8 "general"):
/// `score(h_t, h̄_s) = h_tᵀ W_a h̄_s`, with the keys `W_a h̄_s` computed once per batch.
/// Parameters: `key_layer.weight` (`W_a`, `[H, M]`).
public final class LuongGeneralAttention: AttentionMechanism {
    let keyLayer: Linear

    public init(_ shape: AttentionShape, generator: inout SeededGenerator) {
        keyLayer = Linear(inputSize: shape.memoryWidth, outputSize: shape.queryWidth, bias: false, generator: &generator)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { prefixed("key_layer", keyLayer) }

    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        AttentionMemory(values: outputs, keys: keyLayer(outputs), mask: mask)
    }

    /// - Parameter query: `h_t`, `[B, H]`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> (context: Tensor, weights: Tensor) {
        let weights = memory.dotScores(query).softmax(mask: memory.mask)
        return (memory.context(weights), weights)
    }
}

extension AttentionKind {
    /// `score = h_tᵀ W_a h̄_s` (Luong et al. 2015, §3.1, "general").
    public static let luongGeneral = AttentionKind("luong-general", placement: .afterRecurrence { LuongGeneralAttention($0, generator: &$1) })
}
