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

    /// GELU, tanh form (Hendrycks & Gimpel 2016):
    /// `½x(1 + tanh u)`, `u = √(2/π)(x + 0.044715x³)`;
    /// `∂/∂x = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)`.
    public func gelu() -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        let th = Tensor(uninitializedShape: shape)  // tanh u, saved for the pullback
        Parallel.forEachRange(count, grain: Parallel.transcendentalGrain) { range in
            Vector.gelu(x.data + range.lowerBound, tanh: th.data + range.lowerBound, out.data + range.lowerBound, range.count)
        }
        return Tape.record(.gelu, output: out, inputs: [x]) { gradient in
            let (gx, accumulate) = x.gradientBuffer()
            Vector.map(Lane.GeluGradient.self, rows: 1, n: x.count, .full(gradient.data, x.count), .full(x.data, x.count),
                       .full(th.data, x.count), into: gx, accumulate: accumulate)
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
    /// GELU's derivative times `g`, from `x` and the saved `t = tanh u`.
    enum GeluGradient: LaneFunction {
        @inline(__always) static func apply(_ g: V, _ x: V, _ t: V) -> V {
            let slope = Vector.fma(x * x, V(repeating: 3 * 0.044715 * 0.7978845608), 0.7978845608)  // ∂u/∂x
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * slope)
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

    /// GELU (tanh form) over a buffer: `t = tanh(√(2/π)(x + 0.044715x³))`, `y = ½x(1 + t)`.
    static func gelu(_ x: UnsafePointer<Float>, tanh t: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                     _ count: Int) {
        var i = 0
        while i < count {
            let width = Swift.min(16, count &- i)
            let v = loadBlock(x + i, width, padding: 0)
            let th = tanh(fma(v * v, Lanes(repeating: 0.044715), 1) * v * 0.7978845608)
            storeBlock(th, t + i, width)
            storeBlock(0.5 * v * (1 + th), y + i, width)
            i &+= 16
        }
    }
}
