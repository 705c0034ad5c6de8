/// Element-wise arithmetic with broadcasting, and arithmetic with a scalar.

private enum BinaryOperation { case add, subtract, multiply, divide }

/// `out = a ∘ b` element-wise, broadcasting `a` and `b` against each other.
private func binary(_ operation: BinaryOperation, _ kind: OpKind, _ a: Tensor, _ b: Tensor) -> Tensor {
    guard let plan = Broadcast(a.shape, b.shape) else {
        preconditionFailure("\(kind): shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let out = Tensor(uninitializedShape: plan.shape)
    let x = a.data, y = b.data, z = out.data
    plan.forEachRow { o, i, j, n, si, sj in
        switch operation {
        case .add: for t in 0..<n { z[o &+ t] = x[i &+ t &* si] + y[j &+ t &* sj] }
        case .subtract: for t in 0..<n { z[o &+ t] = x[i &+ t &* si] - y[j &+ t &* sj] }
        case .multiply: for t in 0..<n { z[o &+ t] = x[i &+ t &* si] * y[j &+ t &* sj] }
        case .divide: for t in 0..<n { z[o &+ t] = x[i &+ t &* si] / y[j &+ t &* sj] }
        }
    }
    return Tape.record(kind, output: out, inputs: [a, b]) { gradient in
        let g = gradient.data
        if a.requiresGrad {
            let ga = a.gradientPointer()
            plan.forEachRow { o, i, j, n, si, sj in
                switch operation {
                // ∂(a+b)/∂a = 1, ∂(a−b)/∂a = 1
                case .add, .subtract: for t in 0..<n { ga[i &+ t &* si] += g[o &+ t] }
                // ∂(ab)/∂a = b
                case .multiply: for t in 0..<n { ga[i &+ t &* si] += g[o &+ t] * y[j &+ t &* sj] }
                // ∂(a/b)/∂a = 1/b
                case .divide: for t in 0..<n { ga[i &+ t &* si] += g[o &+ t] / y[j &+ t &* sj] }
                }
            }
        }
        if b.requiresGrad {
            let gb = b.gradientPointer()
            plan.forEachRow { o, i, j, n, si, sj in
                switch operation {
                case .add: for t in 0..<n { gb[j &+ t &* sj] += g[o &+ t] }
                case .subtract: for t in 0..<n { gb[j &+ t &* sj] -= g[o &+ t] }
                case .multiply: for t in 0..<n { gb[j &+ t &* sj] += g[o &+ t] * x[i &+ t &* si] }
                // ∂(a/b)/∂b = −a/b²
                case .divide:
                    for t in 0..<n {
                        let d = y[j &+ t &* sj]
                        gb[j &+ t &* sj] -= g[o &+ t] * x[i &+ t &* si] / (d * d)
                    }
                }
            }
        }
    }
}

/// `out = a·x + c` element-wise: scalar addition, scaling and negation in one kernel,
/// whose pullback is `∂x += a·g`.
private func affine(_ kind: OpKind, _ x: Tensor, scale a: Float, shift c: Float) -> Tensor {
    let out = Tensor(uninitializedShape: x.shape)
    let source = x.data, target = out.data
    for i in 0..<x.count { target[i] = c.addingProduct(a, source[i]) }
    return Tape.record(kind, output: out, inputs: [x]) { gradient in
        let gx = x.gradientPointer(), g = gradient.data
        for i in 0..<x.count { gx[i] = gx[i].addingProduct(a, g[i]) }
    }
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(.add, .add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(.subtract, .subtract, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(.multiply, .multiply, a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(.divide, .divide, a, b) }

    /// `x + c`.
    public static func + (x: Tensor, c: Float) -> Tensor { affine(.addScalar, x, scale: 1, shift: c) }
    public static func + (c: Float, x: Tensor) -> Tensor { x + c }
    public static func - (x: Tensor, c: Float) -> Tensor { x + (-c) }
    public static func - (c: Float, x: Tensor) -> Tensor { (-x) + c }

    /// `x · c`.
    public static func * (x: Tensor, c: Float) -> Tensor { affine(.multiplyScalar, x, scale: c, shift: 0) }
    public static func * (c: Float, x: Tensor) -> Tensor { x * c }
    public static func / (x: Tensor, c: Float) -> Tensor { x * (1 / c) }

    /// `−x`.
    public static prefix func - (x: Tensor) -> Tensor { affine(.negate, x, scale: -1, shift: 0) }

    /// `xᵖ` element-wise; `∂/∂x = p·xᵖ⁻¹`. For a non-integer `p`, `x` must be positive.
    public func pow(_ p: Float) -> Tensor {
        let x = self, out = Tensor(uninitializedShape: shape)
        for i in 0..<count { out.data[i] = Foundation.pow(x.data[i], p) }
        return Tape.record(.power, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, xs = x.data
            for i in 0..<x.count { gx[i] += g[i] * p * Foundation.pow(xs[i], p - 1) }
        }
    }
}

import Foundation
