import Autograd

/// local-p's aligned position (Luong et al. 2015, §3.2, eq. 9, "predictive alignment"):
/// `p_t = (S_b − 1) · sigmoid(v_pᵀ tanh(W_p h_t))`, differentiable in `h_t`, `W_p` and `v_p`.
///
/// Luong scales by `S`; with `S_b − 1` (`S_b` counting `</s>`), `p_t` spans exactly the real
/// positions `[0, S_b − 1]`, so its end is a position too.
/// Parameters: `position_layer.weight` (`W_p`, `[H, H]`), `position_energy` (`v_p`, `[H]`).
public final class PredictivePosition: AlignedPosition {
    let positionLayer: Linear
    let positionEnergy: Tensor

    public init(width: Int, generator: inout SeededGenerator) {
        positionLayer = Linear(inputSize: width, outputSize: width, bias: false, generator: &generator)
        positionEnergy = energyVector(width, generator: &generator)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("position_layer", positionLayer) + [("position_energy", positionEnergy)]
    }

    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> Tensor {
        let lengths = memory.lengths, width = positionEnergy.shape[0]
        let energy = positionLayer(query).tanh().matmul(positionEnergy.reshaped([width, 1]))  // [B, 1]
        return energy.sigmoid() * Tensor(shape: [lengths.count, 1], scalars: lengths.map { Float(Swift.max($0 - 1, 0)) })
    }
}

extension AttentionKind {
    /// Local attention with predictive alignment, `p_t = S · sigmoid(v_pᵀ tanh(W_p h_t))`
    /// (§3.2, eq. 9, "local-p"), with the general score, as Luong's best system used.
    public static let localPredictive = AttentionKind("local-p", placement: .afterRecurrence { shape, generator in
        LocalAttention(shape, generator: &generator) { shape, generator in PredictivePosition(width: shape.queryWidth, generator: &generator) }
    }, isLocal: true)
}
