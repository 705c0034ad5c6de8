/// Sums, means and maxima, along one axis or over everything.
extension Tensor {
    /// `Σ` along `axis`; the axis is dropped unless `keepingAxis`.
    public func sum(axis: Int, keepingAxis: Bool = false) -> Tensor {
        reduce(.sum, axis: axis, keepingAxis: keepingAxis, scale: 1)
    }

    /// The mean along `axis`.
    public func mean(axis: Int, keepingAxis: Bool = false) -> Tensor {
        reduce(.mean, axis: axis, keepingAxis: keepingAxis, scale: 1 / Float(shape[axis]))
    }

    /// The maximum along `axis`; the gradient goes to the first position holding it.
    public func max(axis: Int, keepingAxis: Bool = false) -> Tensor {
        precondition(axis >= 0 && axis < rank && shape[axis] > 0, "max: axis \(axis) of \(shape)")
        let x = self
        let outer = shape.outerCount(before: axis), inner = shape.innerCount(after: axis), n = shape[axis]
        let out = Tensor(uninitializedShape: reducedShape(axis, keepingAxis))
        var winners = [Int](repeating: 0, count: outer * inner)  // flat index of each maximum
        for o in 0..<outer {
            for i in 0..<inner {
                var best = o * n * inner + i
                for k in 1..<n where x.data[o * n * inner + k * inner + i] > x.data[best] { best = o * n * inner + k * inner + i }
                out.data[o * inner + i] = x.data[best]
                winners[o * inner + i] = best
            }
        }
        return Tape.record(.max, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer()
            for (r, flat) in winners.enumerated() { gx[flat] += gradient.data[r] }
        }
    }

    /// `Σ` of every element, as a scalar.
    public func sum() -> Tensor {
        let x = self
        var total = 0.0
        for i in 0..<count { total += Double(data[i]) }
        return Tape.record(.sumAll, output: Tensor(Float(total)), inputs: [x]) { gradient in
            let (gx, accumulate) = x.gradientBuffer(), g = gradient.data[0]
            if accumulate {
                Vector.affineRow(gx, scale: 1, shift: g, into: gx, accumulate: false, x.count)
            } else {
                gx.update(repeating: g, count: x.count)
            }
        }
    }

    /// The mean of every element, as a scalar.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    private func reducedShape(_ axis: Int, _ keepingAxis: Bool) -> [Int] {
        var result = shape
        if keepingAxis { result[axis] = 1 } else { result.remove(at: axis) }
        return result
    }

    /// `out[o, i] = scale · Σ_k x[o, k, i]`; the pullback spreads `scale · g` back over `k`.
    private func reduce(_ kind: OpKind, axis: Int, keepingAxis: Bool, scale: Float) -> Tensor {
        precondition(axis >= 0 && axis < rank, "\(kind): axis \(axis) of \(shape)")
        let x = self
        let outer = shape.outerCount(before: axis), inner = shape.innerCount(after: axis), n = shape[axis]
        let out = Tensor(uninitializedShape: reducedShape(axis, keepingAxis))
        for o in 0..<outer {
            let target = out.data + o &* inner
            if inner == 1 {
                target[0] = Vector.sum(x.data + o &* n, n) * scale
                continue
            }
            target.update(repeating: 0, count: inner)
            for k in 0..<n { Vector.add(target, x.data + (o &* n &+ k) &* inner, target, inner) }
            if scale != 1 { Vector.scaleRow(target, by: scale, target, inner) }
        }
        return Tape.record(kind, output: out, inputs: [x]) { gradient in
            let (gx, accumulate) = x.gradientBuffer()
            for o in 0..<outer {
                let source = gradient.data + o &* inner
                for k in 0..<n {
                    let target = gx + (o &* n &+ k) &* inner
                    if inner == 1 {
                        target[0] = (accumulate ? target[0] : 0) + scale * source[0]
                    } else {
                        Vector.affineRow(source, scale: scale, shift: 0, into: target, accumulate: accumulate, inner)
                    }
                }
            }
        }
    }
}
