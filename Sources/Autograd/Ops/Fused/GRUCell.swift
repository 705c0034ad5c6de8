/// The element-wise part of a GRU step, fused (Cho et al. 2014, in PyTorch's gate order r, z, n).
///
/// With the input and hidden projections already computed by two matrix products,
/// `gi = x W_ihᵀ + b_ih` and `gh = h W_hhᵀ + b_hh` (each `[B, 3H]`, gates r | z | n):
///
///     r  = σ(gi_r + gh_r)
///     z  = σ(gi_z + gh_z)
///     n  = tanh(gi_n + r ⊙ gh_n)
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// Pullback, with `g = ∂h'`: `∂n = g(1 − z)`, `∂z = g(h − n)`, `∂h = g z`,
/// `a_n = ∂n(1 − n²)`: `∂gi_n = a_n`, `∂gh_n = a_n r`, `∂r = a_n gh_n`,
/// `∂gi_r = ∂gh_r = ∂r·r(1 − r)`, `∂gi_z = ∂gh_z = ∂z·z(1 − z)`.
extension Tensor {
    /// - Parameters:
    ///   - inputGates: `gi`, `[B, 3H]`.
    ///   - hiddenGates: `gh`, `[B, 3H]`.
    ///   - hidden: `h`, `[B, H]`.
    /// - Returns: `h'`, `[B, H]`.
    public static func gruCell(inputGates gi: Tensor, hiddenGates gh: Tensor, hidden h: Tensor) -> Tensor {
        let batch = h.shape[0], width = h.shape[1]
        precondition(h.rank == 2 && gi.shape == [batch, 3 * width] && gh.shape == gi.shape,
                     "gruCell: gi \(gi.shape), gh \(gh.shape), h \(h.shape)")
        let out = Tensor(uninitializedShape: [batch, width])
        let saved = Tensor(uninitializedShape: [batch, 3 * width])  // r | z | n per row
        let rows = 3 * width
        for b in 0..<batch {
            let x = gi.data + b &* rows, y = gh.data + b &* rows, s = saved.data + b &* rows
            for j in 0..<(2 * width) { s[j] = x[j] + y[j] }
            Vector.sigmoid(s, s, 2 * width)
            for j in 0..<width { s[2 &* width &+ j] = x[2 &* width &+ j] + s[j] * y[2 &* width &+ j] }
            Vector.tanh(s + 2 * width, s + 2 * width, width)
            let hb = h.data + b &* width, ob = out.data + b &* width
            for j in 0..<width {
                let z = s[width &+ j]
                ob[j] = (1 - z) * s[2 &* width &+ j] + z * hb[j]
            }
        }
        return Tape.record(.gruCell, output: out, inputs: [gi, gh, h]) { gradient in
            let dgi = gi.requiresGrad ? gi.gradientPointer() : nil
            let dgh = gh.requiresGrad ? gh.gradientPointer() : nil
            let dh = h.requiresGrad ? h.gradientPointer() : nil
            for b in 0..<batch {
                let s = saved.data + b &* rows, y = gh.data + b &* rows
                let g = gradient.data + b &* width, hb = h.data + b &* width
                for j in 0..<width {
                    let r = s[j], z = s[width &+ j], n = s[2 &* width &+ j]
                    let an = g[j] * (1 - z) * (1 - n * n)
                    let ar = an * y[2 &* width &+ j] * r * (1 - r)
                    let az = g[j] * (hb[j] - n) * z * (1 - z)
                    if let dgi {
                        let d = dgi + b &* rows
                        d[j] += ar; d[width &+ j] += az; d[2 &* width &+ j] += an
                    }
                    if let dgh {
                        let d = dgh + b &* rows
                        d[j] += ar; d[width &+ j] += az; d[2 &* width &+ j] += an * r
                    }
                    if let dh { dh[b &* width &+ j] += g[j] * z }
                }
            }
        }
    }
}
