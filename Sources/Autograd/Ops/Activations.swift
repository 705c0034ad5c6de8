/// Element-wise activations. Each pullback uses the saved output where that is cheaper:
/// `exp' = exp`, `tanh' = 1 − tanh²`, `σ' = σ(1 − σ)`.
///
/// Forward and pullback are SIMD kernels split over the `Parallel` pool when large; each
/// element is computed the same way wherever it falls, so the thread count changes no bit.
extension Tensor {
    /// `eˣ`.
    public func exp() -> Tensor {
        unary(.exp, Vector.exp, Lane.Product.self, saved: .output)
    }

    /// `ln x`, for `x > 0`; `∂/∂x = 1/x`.
    public func log() -> Tensor {
        unary(.log, Vector.log, Lane.Quotient.self, saved: .input)
    }

    /// `√x`; `∂/∂x = 1 / (2√x)`.
    public func sqrt() -> Tensor {
        unary(.sqrt, Vector.squareRoot, Lane.HalfQuotient.self, saved: .output)
    }

    /// `tanh x`.
    public func tanh() -> Tensor {
        unary(.tanh, Vector.tanh, Lane.TanhGradient.self, saved: .output)
    }

    /// `σ(x) = 1 / (1 + e⁻ˣ)`.
    public func sigmoid() -> Tensor {
        unary(.sigmoid, Vector.sigmoid, Lane.SigmoidGradient.self, saved: .output)
    }

    /// `max(x, 0)`; the derivative at 0 is taken as 0.
    public func relu() -> Tensor {
        unary(.relu, Vector.relu, Lane.ReluGradient.self, saved: .input)
    }

    /// GELU, exact form (Hendrycks & Gimpel 2016; PyTorch's default): `x·Φ(x)`, with
    /// `Φ(x) = ½(1 + erf(x/√2))` the standard normal CDF; `∂/∂x = Φ(x) + x·φ(x)`,
    /// `φ(x) = e^{−x²/2}/√(2π)`.
    public func gelu() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        let cdf = Tensor(uninitializedShape: shape)  // Φ(x), saved for the pullback
        Parallel.forEachRange(count, grain: Parallel.transcendentalGrain) { range in
            Vector.gelu(x.data + range.lowerBound, cdf: cdf.data + range.lowerBound, out.data + range.lowerBound, range.count)
        }
        return Tape.record(.gelu, output: out, inputs: [x]) { gradient in
            let (gx, accumulate) = x.gradientBuffer()
            Vector.map(Lane.GeluGradient.self, rows: 1, n: x.count, .full(gradient.data, x.count), .full(x.data, x.count),
                       .full(cdf.data, x.count), into: gx, accumulate: accumulate)
        }
    }

    private enum Saved { case input, output }

    /// `out = f(x)` by `kernel` over pieces of the buffer; the pullback adds
    /// `Gradient(g, s, _)` with `s` the saved input or output.
    private func unary<Gradient: LaneFunction>(_ kind: OpKind,
                                               _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                                               _: Gradient.Type, saved: Saved) -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        Parallel.forEachRange(count, grain: Parallel.transcendentalGrain) { range in
            kernel(x.data + range.lowerBound, out.data + range.lowerBound, range.count)
        }
        return Tape.record(kind, output: out, inputs: [x]) { gradient in
            let (gx, accumulate) = x.gradientBuffer()
            let s = Vector.Operand.full(saved == .input ? x.data : out.data, x.count)
            Vector.map(Gradient.self, rows: 1, n: x.count, .full(gradient.data, x.count), s, s,
                       into: gx, accumulate: accumulate)
        }
    }
}

extension Lane {
    /// `g / (2y)`, `y = √x`: as `g·0.5 / y`.
    enum HalfQuotient: LaneFunction { @inline(__always) static func apply(_ g: V, _ y: V, _: V) -> V { g * 0.5 / y } }
    /// `g (1 − y²)`, `y = tanh x`.
    enum TanhGradient: LaneFunction {
        @inline(__always) static func apply(_ g: V, _ y: V, _: V) -> V { g * (1 - y * y) }
    }
    /// `g y (1 − y)`, `y = σ(x)`.
    enum SigmoidGradient: LaneFunction { @inline(__always) static func apply(_ g: V, _ y: V, _: V) -> V { g * y * (1 - y) } }
    /// `g` where `x > 0`, else 0.
    enum ReluGradient: LaneFunction {
        @inline(__always) static func apply(_ g: V, _ x: V, _: V) -> V { V().replacing(with: g, where: x .> 0) }
    }
    /// GELU's derivative times `g`, `g (Φ + x φ(x))`, from `x` and the saved `Φ = Φ(x)`.
    enum GeluGradient: LaneFunction {
        @inline(__always) static func apply(_ g: V, _ x: V, _ cdf: V) -> V {
            let density = Vector.exp(x * x * -0.5) * 0.3989422804014327  // φ(x) = e^{−x²/2}/√(2π)
            return g * cdf.addingProduct(x, density)
        }
    }
}

extension Vector {
    /// `y = max(x, 0)` (NaN stays NaN).
    public static func relu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            let v = load(x + i)
            store(v.replacing(with: 0, where: v .< 0), y + i)
            i &+= 16
        }
        if i < count {
            let v = loadPartial(x + i, count &- i, padding: 0)
            storePartial(v.replacing(with: 0, where: v .< 0), y + i, count &- i)
        }
    }

    /// GELU (exact form) over a buffer: `Φ = ½(1 + erf(x/√2))`, `y = x·Φ`.
    static func gelu(_ x: UnsafePointer<Float>, cdf: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                     _ count: Int) {
        var i = 0
        while i < count {
            let width = Swift.min(16, count &- i)
            let v = loadBlock(x + i, width, padding: 0)
            let phi = normalCDF(v)
            storeBlock(phi, cdf + i, width)
            storeBlock(v * phi, y + i, width)
            i &+= 16
        }
    }

    /// `Φ(x) = ½(1 + erf(x/√2))` by Abramowitz & Stegun 7.1.26 (|error of erf| ≤ 1.5·10⁻⁷):
    /// with `z = |x|/√2`, `t = 1/(1 + p z)`, `erfc z ≈ t·P(t)·e^{−z²}`; `Φ(x) = ½ erfc z` for
    /// `x < 0` (which keeps the relative accuracy far in the left tail), `1 − ½ erfc z` otherwise.
    @inline(__always)
    static func normalCDF(_ x: Lanes) -> Lanes {
        let z = x.replacing(with: -x, where: x .< 0) * 0.7071067811865476
        let t = 1 / fma(z, Lanes(repeating: 0.3275911), 1)
        var p = fma(t, Lanes(repeating: 1.061405429), -1.453152027)
        p = fma(p, t, 1.421413741)
        p = fma(p, t, -0.284496736)
        p = fma(p, t, 0.254829592)
        let halfTail = 0.5 * p * t * exp(-(z * z))
        return halfTail.replacing(with: 1 - halfTail, where: x .>= 0)
    }
}
