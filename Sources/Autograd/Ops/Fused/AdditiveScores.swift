/// Additive attention energies, fused (Bahdanau, Cho & Bengio 2015, §3.1 and appendix A.1.2):
///
///     e_bs = vᵀ tanh(q_b + k_bs)
///
/// where `q = W s_{t−1}` is the projected decoder state and `k = U h` the projected encoder
/// states (computed once per sentence). Fusing avoids materialising the broadcast sum, its
/// tanh and the product with `v` as three `[B, S, A]` op results; only `tanh` is kept.
///
/// Pullback, with `t_bs = tanh(q_b + k_bs)` and `d_bs = ∂e_bs · v ⊙ (1 − t_bs²)`:
/// `∂q_b = Σ_s d_bs`, `∂k_bs = d_bs`, `∂v = Σ_bs ∂e_bs t_bs`.
extension Tensor {
    /// - Parameters:
    ///   - query: `q`, `[B, A]`.
    ///   - keys: `k`, `[B, S, A]`.
    ///   - vector: `v`, `[A]`.
    /// - Returns: `e`, `[B, S]` (unnormalised; mask and softmax them next).
    public static func additiveScores(query q: Tensor, keys k: Tensor, vector v: Tensor) -> Tensor {
        let batch = k.shape[0], length = k.shape[1], width = k.shape[2]
        precondition(k.rank == 3 && q.shape == [batch, width] && v.shape == [width],
                     "additiveScores: query \(q.shape), keys \(k.shape), vector \(v.shape)")
        let activations = Tensor(uninitializedShape: k.shape)  // t, kept for the pullback
        let out = Tensor(uninitializedShape: [batch, length])
        for b in 0..<batch {
            let qb = q.data + b &* width
            for s in 0..<length {
                let offset = (b &* length &+ s) &* width
                let t = activations.data + offset, kb = k.data + offset
                for a in 0..<width { t[a] = qb[a] + kb[a] }
                Vector.tanh(t, t, width)
                var energy: Float = 0
                for a in 0..<width { energy += v.data[a] * t[a] }
                out.data[b &* length &+ s] = energy
            }
        }
        return Tape.record(.additiveScores, output: out, inputs: [q, k, v]) { gradient in
            let dq = q.requiresGrad ? q.gradientPointer() : nil
            let dk = k.requiresGrad ? k.gradientPointer() : nil
            let dv = v.requiresGrad ? v.gradientPointer() : nil
            for b in 0..<batch {
                for s in 0..<length {
                    let g = gradient.data[b &* length &+ s]
                    let offset = (b &* length &+ s) &* width
                    let t = activations.data + offset
                    for a in 0..<width {
                        let d = g * v.data[a] * (1 - t[a] * t[a])
                        dq?[b &* width &+ a] += d
                        dk?[offset &+ a] += d
                        dv?[a] += g * t[a]
                    }
                }
            }
        }
    }
}
