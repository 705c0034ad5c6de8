import Foundation

/// Softplus, the smooth positive map the Neural Turing Machine emits its key strength `β` and
/// (plus 1) its sharpening exponent `γ` through (Graves et al. 2014, "Neural Turing Machines",
/// §3.3.1–3.3.2):
///
///     softplus(x) = ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|})
///
/// The second form is what is computed: `eˣ` never overflows for a large `x`, and a very
/// negative `x` gives a tiny positive value rather than 0 through cancellation.
/// Pullback: `∂x += g · σ(x)`, with `σ(x) = 1 / (1 + e^{−x})`.
extension Tensor {
    /// - Returns: the same shape, every element positive.
    public func softplus() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        for i in 0..<count {
            let v = x.data[i]
            out.data[i] = Swift.max(v, 0) + Foundation.log1p(Foundation.exp(-abs(v)))
        }
        return Tape.record(.softplus, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, xs = x.data
            for i in 0..<x.count { gx[i] += g[i] / (1 + Foundation.exp(-xs[i])) }
        }
    }
}
