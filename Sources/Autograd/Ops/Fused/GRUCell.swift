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
        // Batch rows split over the pool: each row's arithmetic is the same wherever the split falls.
        let grain = Swift.max(1, Parallel.transcendentalGrain / rows)
        Parallel.forEachRange(batch, grain: grain, alignment: 1) { range in
            for b in range {
                CellMath.gruForward(gi: gi.data + b &* rows, gh: gh.data + b &* rows, h: h.data + b &* width,
                                    saved: saved.data + b &* rows, out: out.data + b &* width, width: width)
            }
        }
        return Tape.record(.gruCell, output: out, inputs: [gi, gh, h]) { gradient in
            // Made here, on the calling thread; a fresh buffer is written (=), an existing one added to.
            let dgi = gi.requiresGrad ? gi.gradientBuffer() : nil
            let dgh = gh.requiresGrad ? gh.gradientBuffer() : nil
            let dh = h.requiresGrad ? h.gradientBuffer() : nil
            Parallel.forEachRange(batch, grain: grain, alignment: 1) { range in
                for b in range {
                    CellMath.gruBackward(g: gradient.data + b &* width, saved: saved.data + b &* rows, gh: gh.data + b &* rows,
                                         h: h.data + b &* width, dgi: dgi.map { ($0.pointer + b &* rows, $0.accumulate) },
                                         dgh: dgh.map { ($0.pointer + b &* rows, $0.accumulate) },
                                         dh: dh.map { ($0.pointer + b &* width, $0.accumulate) }, width: width)
                }
            }
        }
    }
}
