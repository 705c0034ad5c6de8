/// The rotation of a Neural Turing Machine's weighting by a distribution over shifts
/// (Graves et al. 2014, "Neural Turing Machines", §3.3.2, eq. 8), the circular convolution
///
///     w̃_i = Σ_{j=−K}^{K} w_{(i − j) mod N} · s_j
///
/// with `s` over the shifts `−K … K` stored as `s[0 … 2K]` (`s[K + j]` is the weight of a
/// shift by `j`): all of `s` on `+1` moves every weight one slot on, `w̃_i = w_{i−1}`.
/// Indices wrap around the `N` slots.
///
/// Pullback, with `g = ∂w̃`: `∂w_{(i − j) mod N} += g_i · s_j`, `∂s_j += Σ_i g_i · w_{(i − j) mod N}`.
extension Tensor {
    /// - Parameters:
    ///   - self: the weightings `w`, `[…, N]`.
    ///   - shifts: `s`, `[…, 2K + 1]` (the same leading shape), each row usually a softmax.
    /// - Returns: `w̃`, `[…, N]`.
    public func circularConvolution(shifts: Tensor) -> Tensor {
        let w = self, slots = shape.last ?? 0, span = shifts.shape.last ?? 0
        precondition(rank >= 1 && shifts.rank == rank && Array(shape.dropLast()) == Array(shifts.shape.dropLast())
                     && slots > 0 && span % 2 == 1,
                     "circularConvolution: weightings \(shape), shifts \(shifts.shape) (an odd number 2K + 1 of shifts)")
        let reach = span / 2, rows = count / slots
        /// `(i − j) mod N` for any integer `i − j`.
        func wrapped(_ index: Int) -> Int { ((index % slots) + slots) % slots }
        let out = Tensor(shape: shape, repeating: 0)
        for r in 0..<rows {
            let source = w.data + r &* slots, s = shifts.data + r &* span, target = out.data + r &* slots
            for k in 0..<span {
                let shift = k - reach, weight = s[k]
                for i in 0..<slots { target[i] += source[wrapped(i - shift)] * weight }
            }
        }
        return Tape.record(.circularConvolution, output: out, inputs: [w, shifts]) { gradient in
            let dw = w.requiresGrad ? w.gradientPointer() : nil
            let ds = shifts.requiresGrad ? shifts.gradientPointer() : nil
            for r in 0..<rows {
                let source = w.data + r &* slots, s = shifts.data + r &* span, g = gradient.data + r &* slots
                for k in 0..<span {
                    let shift = k - reach
                    if let dw {
                        let target = dw + r &* slots
                        for i in 0..<slots { target[wrapped(i - shift)] += g[i] * s[k] }
                    }
                    if let ds {
                        var total: Float = 0
                        for i in 0..<slots { total += g[i] * source[wrapped(i - shift)] }
                        ds[r &* span &+ k] += total
                    }
                }
            }
        }
    }
}
