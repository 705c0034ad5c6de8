/// The element-wise part of an LSTM step, fused (Hochreiter & Schmidhuber 1997, in PyTorch's
/// gate order i, f, g, o).
///
/// With `gates = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh` (`[B, 4H]`, gates i | f | g | o):
///
///     i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
///     c' = f ⊙ c + i ⊙ g
///     h' = o ⊙ tanh(c')
///
/// Pullback, with `∂h'`, `∂c'` arriving from later steps: `∂c'_total = ∂c' + ∂h' o (1 − tanh²c')`,
/// `∂a_o = ∂h' tanh(c') o(1 − o)`, `∂a_i = ∂c'_total g i(1 − i)`, `∂a_f = ∂c'_total c f(1 − f)`,
/// `∂a_g = ∂c'_total i (1 − g²)`, `∂c = ∂c'_total f`.
extension Tensor {
    /// - Parameters:
    ///   - gates: the summed pre-activations, `[B, 4H]`.
    ///   - cell: `c`, `[B, H]`.
    /// - Returns: `[2, B, H]`: `h'` then `c'` (take them apart with `select(axis: 0, index:)`).
    public static func lstmCell(gates: Tensor, cell c: Tensor) -> Tensor {
        let batch = c.shape[0], width = c.shape[1], rows = 4 * width
        precondition(c.rank == 2 && gates.shape == [batch, rows], "lstmCell: gates \(gates.shape), cell \(c.shape)")
        let out = Tensor(uninitializedShape: [2, batch, width])
        let saved = Tensor(uninitializedShape: [batch, 5 * width])  // i | f | g | o | tanh c'
        // Batch rows split over the pool: each row's arithmetic is the same wherever the split falls.
        let grain = Swift.max(1, Parallel.transcendentalGrain / rows)
        Parallel.forEachRange(batch, grain: grain, alignment: 1) { range in
            for b in range {
                CellMath.lstmForward(gates: gates.data + b &* rows, c: c.data + b &* width,
                                     saved: saved.data + b &* (5 &* width), h: out.data + b &* width,
                                     cell: out.data + (batch &+ b) &* width, width: width)
            }
        }
        return Tape.record(.lstmCell, output: out, inputs: [gates, c]) { gradient in
            let da = gates.requiresGrad ? gates.gradientPointer() : nil
            let dc = c.requiresGrad ? c.gradientPointer() : nil
            Parallel.forEachRange(batch, grain: grain, alignment: 1) { range in
                for b in range {
                    CellMath.lstmBackward(gh: gradient.data + b &* width, gc: gradient.data + (batch &+ b) &* width,
                                          saved: saved.data + b &* (5 &* width), c: c.data + b &* width,
                                          da: da.map { $0 + b &* rows }, dc: dc.map { $0 + b &* width }, width: width)
                }
            }
        }
    }
}
