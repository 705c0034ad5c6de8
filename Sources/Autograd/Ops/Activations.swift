import Foundation

/// Element-wise activations. Each pullback uses the saved output where that is cheaper:
/// `exp' = exp`, `tanh' = 1 − tanh²`, `σ' = σ(1 − σ)`.
extension Tensor {
    /// `eˣ`.
    public func exp() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        Vector.exp(x.data, out.data, count)
        return Tape.record(.exp, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, y = out.data
            for i in 0..<x.count { gx[i] += g[i] * y[i] }
        }
    }

    /// `ln x`, for `x > 0`.
    public func log() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        Vector.log(x.data, out.data, count)
        return Tape.record(.log, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, xs = x.data
            for i in 0..<x.count { gx[i] += g[i] / xs[i] }
        }
    }

    /// `√x`; `∂/∂x = 1 / (2√x)`.
    public func sqrt() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        for i in 0..<count { out.data[i] = x.data[i].squareRoot() }
        return Tape.record(.sqrt, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, y = out.data
            for i in 0..<x.count { gx[i] += g[i] * 0.5 / y[i] }
        }
    }

    /// `tanh x`.
    public func tanh() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        Vector.tanh(x.data, out.data, count)
        return Tape.record(.tanh, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, y = out.data
            for i in 0..<x.count { gx[i] += g[i] * (1 - y[i] * y[i]) }
        }
    }

    /// `σ(x) = 1 / (1 + e⁻ˣ)`.
    public func sigmoid() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        Vector.sigmoid(x.data, out.data, count)
        return Tape.record(.sigmoid, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, y = out.data
            for i in 0..<x.count { gx[i] += g[i] * y[i] * (1 - y[i]) }
        }
    }

    /// `max(x, 0)`; the derivative at 0 is taken as 0.
    public func relu() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        for i in 0..<count { out.data[i] = Swift.max(x.data[i], 0) }
        return Tape.record(.relu, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, xs = x.data
            for i in 0..<x.count where xs[i] > 0 { gx[i] += g[i] }
        }
    }

    /// GELU, tanh form (Hendrycks & Gimpel 2016):
    /// `½x(1 + tanh u)`, `u = √(2/π)(x + 0.044715x³)`;
    /// `∂/∂x = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)`.
    public func gelu() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        let c: Float = 0.7978845608  // √(2/π)
        let th = Tensor(uninitializedShape: shape)  // tanh u, saved for the pullback
        for i in 0..<count {
            let v = x.data[i]
            th.data[i] = c * (v + 0.044715 * v * v * v)
        }
        Vector.tanh(th.data, th.data, count)
        for i in 0..<count { out.data[i] = 0.5 * x.data[i] * (1 + th.data[i]) }
        return Tape.record(.gelu, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, xs = x.data, t = th.data
            for i in 0..<x.count {
                let v = xs[i]
                let du = c * (1 + 3 * 0.044715 * v * v)
                gx[i] += g[i] * (0.5 * (1 + t[i]) + 0.5 * v * (1 - t[i] * t[i]) * du)
            }
        }
    }
}
