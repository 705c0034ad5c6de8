/// Layer normalisation over the last axis (Ba, Kiros & Hinton 2016).
extension Tensor {
    /// `y = γ ⊙ (x − μ) / √(σ² + ε) + β`, with `μ`, `σ²` the mean and (biased) variance of
    /// each last-axis row.
    ///
    /// With `x̂ = (x − μ)/s`, `s = √(σ² + ε)` and `ĝ = g ⊙ γ`, the pullback is
    /// `∂x = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / s`, `∂γ = Σ_rows g ⊙ x̂`, `∂β = Σ_rows g`.
    /// - Parameters:
    ///   - self: `[…, D]`.
    ///   - gain: γ, `[D]`.
    ///   - bias: β, `[D]`.
    public func layerNorm(gain: Tensor, bias: Tensor, epsilon: Float = 1e-5) -> Tensor {
        let width = shape.last ?? 1
        precondition(gain.shape == [width] && bias.shape == [width], "layerNorm: x \(shape), gain \(gain.shape), bias \(bias.shape)")
        let x = self, rows = count / width
        let normalized = Tensor(uninitializedShape: shape)  // x̂, kept for the pullback
        let inverseDeviation = Tensor(uninitializedShape: [rows])  // 1/s per row
        let out = Tensor(uninitializedShape: shape)
        for r in 0..<rows {
            let xr = x.data + r &* width, nr = normalized.data + r &* width, yr = out.data + r &* width
            var mean: Float = 0
            for d in 0..<width { mean += xr[d] }
            mean /= Float(width)
            var variance: Float = 0
            for d in 0..<width { variance += (xr[d] - mean) * (xr[d] - mean) }
            variance /= Float(width)
            let inverse = 1 / (variance + epsilon).squareRoot()
            inverseDeviation.data[r] = inverse
            for d in 0..<width {
                nr[d] = (xr[d] - mean) * inverse
                yr[d] = nr[d] * gain.data[d] + bias.data[d]
            }
        }
        return Tape.record(.layerNorm, output: out, inputs: [x, gain, bias]) { gradient in
            let g = gradient.data, n = normalized.data
            if gain.requiresGrad || bias.requiresGrad {
                let gg = gain.gradientPointer(), gb = bias.gradientPointer()
                for r in 0..<rows {
                    for d in 0..<width {
                        gg[d] += g[r &* width &+ d] * n[r &* width &+ d]
                        gb[d] += g[r &* width &+ d]
                    }
                }
            }
            guard x.requiresGrad else { return }
            let gx = x.gradientPointer()
            for r in 0..<rows {
                let gr = g + r &* width, nr = n + r &* width, target = gx + r &* width
                var meanG: Float = 0, meanGN: Float = 0
                for d in 0..<width {
                    let scaled = gr[d] * gain.data[d]
                    meanG += scaled
                    meanGN += scaled * nr[d]
                }
                meanG /= Float(width)
                meanGN /= Float(width)
                let inverse = inverseDeviation.data[r]
                for d in 0..<width {
                    target[d] += (gr[d] * gain.data[d] - meanG - nr[d] * meanGN) * inverse
                }
            }
        }
    }
}
