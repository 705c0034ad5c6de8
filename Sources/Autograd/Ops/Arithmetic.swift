/// Element-wise arithmetic with broadcasting, and arithmetic with a scalar.

private enum BinaryOperation { case add, subtract, multiply, divide }

/// `out = a ∘ b` element-wise, broadcasting `a` and `b` against each other.
///
/// The common layouts run as SIMD row kernels (`Vector.map`, `columnSums`, `rowSums`), split
/// over the `Parallel` pool when large: the same shapes, a bias row `[n]` over `[rows, n]`, and
/// a column `[rows, 1]` or scalar. Anything else walks `Broadcast.forEachRow` element by element.
/// `Value` computes `a ∘ b`; `GradientA` and `GradientB` map `(g, a, b)` to `∂a`, `∂b`.
private func binary<Value: LaneFunction, GradientA: LaneFunction, GradientB: LaneFunction>(
    _ operation: BinaryOperation, _ kind: OpKind, _ a: Tensor, _ b: Tensor,
    _: Value.Type, _: GradientA.Type, _: GradientB.Type) -> Tensor {
    guard let plan = Broadcast(a.shape, b.shape) else {
        preconditionFailure("\(kind): shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let out = Tensor(uninitializedShape: plan.shape)
    guard let view = RowView(plan, a, b) else {
        return generalBinary(operation, kind, a, b, plan, out)
    }
    Vector.map(Value.self, rows: view.rows, n: view.n, view.a, view.b, view.a, into: out.data, accumulate: false)
    return Tape.record(kind, output: out, inputs: [a, b]) { gradient in
        let g = Vector.Operand.full(gradient.data, view.n)
        var adopted = false
        if a.requiresGrad {
            adopted = view.gradient(GradientA.self, of: a, isBroadcast: view.aIsBroadcast, g, gradient,
                                    identity: GradientA.self == Lane.Pass.self, adoptable: true)
        }
        if b.requiresGrad {
            _ = view.gradient(GradientB.self, of: b, isBroadcast: view.bIsBroadcast, g, gradient,
                              identity: GradientB.self == Lane.Pass.self, adoptable: !adopted)
        }
    }
}

/// A binary op's operands as `[rows, n]` row-kernel operands, for every layout but `.general`.
private struct RowView {
    let rows: Int, n: Int
    let a: Vector.Operand, b: Vector.Operand
    let aIsBroadcast: Bool, bIsBroadcast: Bool
    /// Whether the broadcast operand is a row (its gradient sums columns) or a column (rows).
    let broadcastIsRow: Bool

    init?(_ plan: Broadcast, _ a: Tensor, _ b: Tensor) {
        let full = { (t: Tensor, n: Int) in Vector.Operand.full(t.data, n) }
        switch plan.layout {
        case .same:
            (rows, n) = (1, plan.count)
            (self.a, self.b) = (full(a, n), full(b, n))
            (aIsBroadcast, bIsBroadcast, broadcastIsRow) = (false, false, false)
        case let .row(n, aIsBroadcast):
            (rows, self.n) = (plan.count / n, n)
            self.a = aIsBroadcast ? .row(a.data) : full(a, n)
            self.b = aIsBroadcast ? full(b, n) : .row(b.data)
            (self.aIsBroadcast, bIsBroadcast, broadcastIsRow) = (aIsBroadcast, !aIsBroadcast, true)
        case let .column(n, aIsBroadcast):
            (rows, self.n) = (plan.count / n, n)
            self.a = aIsBroadcast ? .column(a.data) : full(a, n)
            self.b = aIsBroadcast ? full(b, n) : .column(b.data)
            (self.aIsBroadcast, bIsBroadcast, broadcastIsRow) = (aIsBroadcast, !aIsBroadcast, false)
        case .general:
            return nil
        }
    }

    /// Adds `Rule(g, a, b)` into `input`'s gradient, summed over the axes it is broadcast along.
    /// An input of the output's shape whose rule is the identity takes `gradient` itself
    /// (adopted when `adoptable` and it has no gradient yet). Returns whether it adopted.
    func gradient<Rule: LaneFunction>(_: Rule.Type, of input: Tensor, isBroadcast: Bool, _ g: Vector.Operand,
                                      _ gradient: Tensor, identity: Bool, adoptable: Bool) -> Bool {
        if identity && !isBroadcast {
            let adopts = adoptable && input.grad == nil
            input.accumulateGradient(gradient, adopting: adopts)
            return adopts
        }
        let (target, accumulate) = input.gradientBuffer()
        if !isBroadcast {
            Vector.map(Rule.self, rows: rows, n: n, g, a, b, into: target, accumulate: accumulate)
        } else if broadcastIsRow {
            Vector.columnSums(Rule.self, rows: rows, n: n, g, a, b, into: target, accumulate: accumulate)
        } else {
            Vector.rowSums(Rule.self, rows: rows, n: n, g, a, b, into: target, accumulate: accumulate)
        }
        return false
    }
}

/// The element-by-element form of `binary`, for layouts without a row kernel.
private func generalBinary(_ operation: BinaryOperation, _ kind: OpKind, _ a: Tensor, _ b: Tensor,
                           _ plan: Broadcast, _ out: Tensor) -> Tensor {
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
    let constants = Storage(count: 2)
    constants.pointer[0] = a
    constants.pointer[1] = c
    let scale = Vector.Operand.column(constants.pointer), shift = Vector.Operand.column(constants.pointer + 1)
    let source = Vector.Operand.full(x.data, x.count)
    Vector.map(Lane.MultiplyAdd.self, rows: 1, n: x.count, source, scale, shift, into: out.data, accumulate: false)
    return Tape.record(kind, output: out, inputs: [x]) { gradient in
        let (gx, accumulate) = x.gradientBuffer()
        let g = Vector.Operand.full(gradient.data, x.count)
        if accumulate {  // ∂x = ∂x + a·g, fused
            Vector.map(Lane.MultiplyAdd.self, rows: 1, n: x.count, g, scale, .full(gx, x.count), into: gx, accumulate: false)
        } else {
            Vector.map(Lane.Product.self, rows: 1, n: x.count, g, scale, scale, into: gx, accumulate: false)
        }
        withExtendedLifetime(constants) {}
    }
}

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binary(.add, .add, a, b, Lane.Sum.self, Lane.Pass.self, Lane.Pass.self)
    }
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binary(.subtract, .subtract, a, b, Lane.Difference.self, Lane.Pass.self, Lane.Negated.self)
    }
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binary(.multiply, .multiply, a, b, Lane.Product.self, Lane.TimesB.self, Lane.TimesA.self)
    }
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binary(.divide, .divide, a, b, Lane.Quotient.self, Lane.OverB.self, Lane.QuotientB.self)
    }

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
