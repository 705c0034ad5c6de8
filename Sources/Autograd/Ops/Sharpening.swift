import Foundation

/// The sharpening that undoes the blur of a Neural Turing Machine's shift (Graves et al. 2014,
/// "Neural Turing Machines", §3.3.2, eq. 9), with `γ ≥ 1`:
///
///     w_i = w̃_i^γ / Σ_j w̃_j^γ
///
/// computed as the softmax `w = softmax(γ · ln w̃)`, which is the same quotient but cannot
/// overflow or underflow to 0/0 however large `γ` grows (`w̃^γ` alone is 0 in Float32 for
/// `w̃ = 0.01`, `γ = 20`). A weight `w̃_i = 0` has `ln w̃_i = −∞` and gets weight 0.
///
/// Pullback, with `z_i = γ ln w̃_i`, `g = ∂w` and `∂z_i = w_i (g_i − Σ_j w_j g_j)` (softmax's):
///
///     ∂γ += Σ_i ∂z_i · ln w̃_i        ∂w̃_i += ∂z_i · γ / w̃_i
///
/// where a `w̃_i = 0` adds nothing (its `∂z_i` is 0; the product with `ln 0` or `1/0` would be NaN).
extension Tensor {
    /// - Parameters:
    ///   - self: `w̃`, `[…, N]`, non-negative, each row with a positive element.
    ///   - gamma: `γ`, `[…, 1]` (the same leading shape).
    /// - Returns: `w`, `[…, N]`, each row summing to 1.
    public func sharpened(gamma: Tensor) -> Tensor {
        let w = self, slots = shape.last ?? 0
        precondition(rank >= 1 && gamma.rank == rank && gamma.shape.last == 1 && Array(shape.dropLast()) == Array(gamma.shape.dropLast()),
                     "sharpened: weightings \(shape), gamma \(gamma.shape)")
        let rows = count / Swift.max(slots, 1)
        let out = Tensor(uninitializedShape: shape)
        let logarithms = Tensor(uninitializedShape: shape)  // ln w̃, kept for the pullback
        for r in 0..<rows {
            let source = w.data + r &* slots, logs = logarithms.data + r &* slots, target = out.data + r &* slots
            let exponent = gamma.data[r]
            var peak = -Float.infinity
            for i in 0..<slots {
                logs[i] = source[i] > 0 ? Foundation.log(source[i]) : -Float.infinity
                peak = Swift.max(peak, exponent * logs[i])
            }
            var sum: Float = 0
            for i in 0..<slots {
                target[i] = source[i] > 0 ? Foundation.exp(exponent * logs[i] - peak) : 0
                sum += target[i]
            }
            let scale = 1 / sum
            for i in 0..<slots { target[i] *= scale }
        }
        return Tape.record(.sharpening, output: out, inputs: [w, gamma]) { gradient in
            let dw = w.requiresGrad ? w.gradientPointer() : nil
            let dg = gamma.requiresGrad ? gamma.gradientPointer() : nil
            for r in 0..<rows {
                let source = w.data + r &* slots, logs = logarithms.data + r &* slots
                let y = out.data + r &* slots, g = gradient.data + r &* slots
                let exponent = gamma.data[r]
                var dot: Float = 0
                for i in 0..<slots { dot += y[i] * g[i] }
                var dGamma: Float = 0
                for i in 0..<slots where source[i] > 0 {
                    let dz = y[i] * (g[i] - dot)
                    dGamma += dz * logs[i]
                    if let dw { dw[r &* slots &+ i] += dz * exponent / source[i] }
                }
                dg?[r] += dGamma
            }
        }
    }
}
