import Autograd

/// Luong's local attention (Luong, Pham & Manning 2015, §3.2): each decoder step attends to a
/// window of source positions around an aligned position `p_t`, favouring those near `p_t`.
///
/// Both local kinds score with Luong's general score `h_tᵀ W_a h̄_s`, the score he used with
/// local-p (§4).
extension Attention {
    /// The aligned position `p_t` of every row, `[B, 1]`, counting source positions from 0.
    ///
    /// - local-m: `p_t = min(t, S_b − 1)`. Luong's `p_t = t` would leave the sentence once the
    ///   target is longer than the source, and the window would then hold no position; clamping
    ///   keeps it on the last real position (`</s>`).
    /// - local-p: `p_t = (S_b − 1) · sigmoid(v_pᵀ tanh(W_p h_t))` (eq. 9), differentiable in
    ///   `h_t`, `W_p` and `v_p`. Luong scales by `S`; with `S_b − 1` (`S_b` counting `</s>`), `p_t`
    ///   spans exactly the real positions `[0, S_b − 1]`, so its end is a position too.
    /// - Parameters:
    ///   - query: `h_t`, `[B, H]`.
    ///   - step: `t`, the decoder step, counting from 0.
    public func alignedPositions(query: Tensor, memory: AttentionMemory, step: Int) -> Tensor {
        let lengths = memory.lengths, batch = lengths.count
        switch kind {
        case .localMonotonic:
            return Tensor(shape: [batch, 1], scalars: lengths.map { Float(Swift.min(step, Swift.max($0 - 1, 0))) })
        case .localPredictive:
            let width = positionEnergy!.shape[0]
            let energy = positionLayer!(query).tanh().matmul(positionEnergy!.reshaped([width, 1]))  // [B, 1]
            return energy.sigmoid() * Tensor(shape: [batch, 1], scalars: lengths.map { Float(Swift.max($0 - 1, 0)) })
        case .none, .bahdanau, .luongDot, .luongGeneral, .luongConcat:
            preconditionFailure("\(kind.rawValue) attention has no aligned position")
        }
    }

    /// Luong's local weights, `a_t(s) = align(h_t, h̄_s) · exp(−(s − p_t)² / 2σ²)` with `σ = D/2`
    /// (eq. 10), over the window `|s − p_t| ≤ D` of real positions, renormalised to sum to 1.
    ///
    /// `align` is a softmax over the window, so `align_s · g_s / Σ_r align_r · g_r` equals
    /// `softmax_window(score_s + log g_s)`: one masked softmax of `score_s − (s − p_t)² / 2σ²`,
    /// the Gaussian term differentiable in `p_t`. Luong's weights themselves sum to
    /// `Σ_s align_s · g_s < 1`; renormalising only scales each row (and its context) by a
    /// constant, and gives `align` rows that sum to 1, as every other attention does.
    /// The window's edges are a step function of `p_t`, so they carry no gradient (nor in Luong's).
    /// - Parameters:
    ///   - scores: `score(h_t, h̄_s)`, `[B, S]`.
    ///   - positions: `p_t`, `[B, 1]`.
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
