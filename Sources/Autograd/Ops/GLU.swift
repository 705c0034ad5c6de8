/// The gated linear unit (Dauphin et al. 2017, "Language Modeling with Gated Convolutional
/// Networks", eq. 1; Gehring et al. 2017, §3.2): the last axis is split into halves `[A; B]` and
///
///     GLU([A; B]) = A ⊗ σ(B)
///
/// Pullback, with `g = ∂out` and `s = σ(B)` kept from the forward pass:
/// `∂A += g ⊗ s`, `∂B += g ⊗ A ⊗ s ⊗ (1 − s)`.
extension Tensor {
    /// - Parameter self: `[…, 2C]`. - Returns: `[…, C]`.
    public func glu() -> Tensor {
        let width = shape.last ?? 0
        precondition(rank >= 1 && width % 2 == 0 && width > 0, "glu: the last axis of \(shape) must have an even, nonzero extent")
        let x = self, half = width / 2, rows = count / width
        let out = Tensor(uninitializedShape: Array(shape.dropLast()) + [half])
        let gate = Tensor(uninitializedShape: [rows, half])  // σ(B), kept for the pullback
        for r in 0..<rows { (gate.data + r &* half).update(from: x.data + (r &* width &+ half), count: half) }
        Vector.sigmoid(gate.data, gate.data, gate.count)
        for r in 0..<rows {
            let a = x.data + r &* width, s = gate.data + r &* half, y = out.data + r &* half
            for c in 0..<half { y[c] = a[c] * s[c] }
        }
        return Tape.record(.glu, output: out, inputs: [x]) { gradient in
            let dx = x.gradientPointer()
            for r in 0..<rows {
                let a = x.data + r &* width, s = gate.data + r &* half, g = gradient.data + r &* half
                let da = dx + r &* width, db = da + half
                for c in 0..<half {
                    da[c] += g[c] * s[c]
                    db[c] += g[c] * a[c] * s[c] * (1 - s[c])
                }
            }
        }
    }
}
