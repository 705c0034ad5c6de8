import Autograd

/// Luong's local attention (Luong, Pham & Manning 2015, §3.2): each decoder step attends to a
/// window of source positions around an aligned position `p_t`, favouring those near `p_t`.
///
/// The variants differ only in how they find `p_t` (an `AlignedPosition`: `MonotonicPosition`
/// for local-m, `PredictivePosition` for local-p). Both score with Luong's general score
/// `h_tᵀ W_a h̄_s`, the score he used with local-p (§4).
///
/// The weights are `a_t(s) = align(h_t, h̄_s) · exp(−(s − p_t)² / 2σ²)` with `σ = D/2` (eq. 10),
/// over the window `|s − p_t| ≤ D` of real positions, renormalised to sum to 1. `align` is a
/// softmax over the window, so `align_s · g_s / Σ_r align_r · g_r` equals
/// `softmax_window(score_s + log g_s)`: one masked softmax of `score_s − (s − p_t)² / 2σ²`, the
/// Gaussian term differentiable in `p_t`. Luong's weights themselves sum to
/// `Σ_s align_s · g_s < 1`; renormalising only scales each row (and its context) by a
/// constant, and gives `align` rows that sum to 1, as every other attention does. The window's
/// edges are a step function of `p_t`, so they carry no gradient (nor in Luong's).
///
/// Parameters: `key_layer.weight` (`W_a`, `[H, M]`), then the position's (local-p: `position_layer`, `position_energy`).
public final class LocalAttention: AttentionMechanism {
    let keyLayer: Linear
    let position: any AlignedPosition
    /// `D`: the window is `[p_t − D, p_t + D]`.
    public let window: Int

    /// - Parameter position: built after `W_a`, so that the initial weights are drawn in the
    ///   order the parameters are named.
    public init(_ shape: AttentionShape, generator: inout SeededGenerator,
                position: (AttentionShape, inout SeededGenerator) -> any AlignedPosition) {
        keyLayer = Linear(inputSize: shape.memoryWidth, outputSize: shape.queryWidth, bias: false, generator: &generator)
        self.position = position(shape, &generator)
        window = shape.window
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { prefixed("key_layer", keyLayer) + position.namedParameters }

    public func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        AttentionMemory(values: outputs, keys: keyLayer(outputs), mask: mask)
    }

    /// `p_t` of every row, `[B, 1]`, counting source positions from 0.
    /// - Parameters: - query: `h_t`, `[B, H]`. - step: `t`, from 0.
    public func alignedPositions(query: Tensor, memory: AttentionMemory, step: Int) -> Tensor {
        position(query: query, memory: memory, step: step)
    }

    /// - Parameter query: `h_t`, `[B, H]`.
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> (context: Tensor, weights: Tensor) {
        let positions = alignedPositions(query: query, memory: memory, step: step)
        let weights = localWeights(scores: memory.dotScores(query), positions: positions, memory: memory)
        return (memory.context(weights), weights)
    }

    /// One masked softmax of `score_s − (s − p_t)² / 2σ²` over the window of real positions.
    /// - Parameters: - scores: `[B, S]`. - positions: `p_t`, `[B, 1]`.
    /// - Returns: `[B, S]`, zero outside the window and on padding.
    func localWeights(scores: Tensor, positions: Tensor, memory: AttentionMemory) -> Tensor {
        let batch = scores.shape[0], length = scores.shape[1]
        let d = Float(window)
        let columns = Tensor(shape: [1, length], scalars: (0..<length).map(Float.init))
        let offsets = columns - positions  // s − p_t, [B, S]
        // −(s − p_t)² / 2σ², σ = D/2, so 2σ² = D²/2.
        let gaussian = offsets * offsets * (-2 / (d * d))
        var allowed = [Float](repeating: 0, count: batch * length)
        for b in 0..<batch {
            let p = positions.data[b]
            for s in 0..<length where memory.mask.data[b * length + s] != 0 && abs(Float(s) - p) <= d {
                allowed[b * length + s] = 1
            }
        }
        return (scores + gaussian).softmax(mask: Tensor(shape: [batch, length], scalars: allowed))
    }
}

/// How a local attention finds the source position `p_t` it centres its window on.
public protocol AlignedPosition: Module {
    /// `p_t` of every row, `[B, 1]`, within `[0, S_b − 1]`.
    /// - Parameters: - query: `h_t`, `[B, H]`. - step: `t`, the decoder step, from 0.
    func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> Tensor
}
