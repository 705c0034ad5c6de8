import Foundation

/// Softmax and log-softmax along the last axis, with an optional mask.
///
/// `softmax(x)_i = e^{x_i − m} / Σ_j e^{x_j − m}` with `m = max_j x_j` for stability.
/// A masked position (mask element 0) is left out of the sum: it gets probability 0
/// (log-probability −∞). A row with every position masked gets all zeros, never NaN.
/// The mask broadcasts against `x` (`[B, 1, 1, S]` for key padding over `[B, h, T, S]`).
///
/// Rows run as SIMD row kernels, split over the `Parallel` pool when there is enough work;
/// a row is never cut, so the thread count changes no bit.
extension Tensor {
    /// - Parameters:
    ///   - mask: 1 where a position takes part, 0 where it is masked; broadcastable to `shape`.
    /// - Returns: the same shape, each last-axis row summing to 1 over unmasked positions.
    public func softmax(mask: Tensor? = nil) -> Tensor {
        let x = self
        let out = softmaxRows(mask: mask, logarithm: false)
        // ∂x_i = y_i (g_i − Σ_j g_j y_j)
        return Tape.record(.softmax, output: out, inputs: [x]) { gradient in
            let n = x.shape.last ?? 1, rows = x.count / Swift.max(n, 1)
            let (gx, accumulate) = x.gradientBuffer()
            let g = gradient.data, y = out.data
            Parallel.forEachRange(rows, grain: Swift.max(1, Parallel.elementGrain / Swift.max(n, 1)), alignment: 1) { range in
                for r in range {
                    let base = r &* n
                    let dot = Vector.dot(g + base, y + base, n)
                    SoftmaxRows.softmaxGradient(g + base, y + base, dot, gx + base, accumulate, n)
                }
            }
        }
    }

    /// `log softmax(x)`, computed as `x_i − m − log Σ_j e^{x_j − m}`; masked positions are −∞.
    public func logSoftmax(mask: Tensor? = nil) -> Tensor {
        let x = self
        let out = softmaxRows(mask: mask, logarithm: true)
        // ∂x_i = g_i − softmax_i · Σ_j g_j over unmasked positions; masked positions get 0.
        return Tape.record(.logSoftmax, output: out, inputs: [x]) { gradient in
            let n = x.shape.last ?? 1, rows = x.count / Swift.max(n, 1)
            let (gx, accumulate) = x.gradientBuffer()
            let g = gradient.data, y = out.data
            Parallel.forEachRange(rows, grain: Swift.max(1, Parallel.transcendentalGrain / Swift.max(n, 1)), alignment: 1) { range in
                for r in range {
                    let base = r &* n
                    SoftmaxRows.logSoftmaxGradient(g + base, y + base, gx + base, accumulate, n)
                }
            }
        }
    }

    private func softmaxRows(mask: Tensor?, logarithm: Bool) -> Tensor {
        let n = shape.last ?? 1
        let out = Tensor(uninitializedShape: shape)
        let x = data, y = out.data
        // Masked positions are first set to −∞, so they drop out of the max and the sum.
        let source: UnsafePointer<Float>
        if let mask {
            guard let plan = Broadcast(shape, mask.shape), plan.shape == shape else {
                preconditionFailure("softmax: mask \(mask.shape) does not broadcast to \(shape)")
            }
            let m = mask.data
            plan.forEachRow { o, _, j, length, _, step in
                for t in 0..<length { y[o &+ t] = m[j &+ t &* step] == 0 ? -Float.infinity : x[o &+ t] }
            }
            source = UnsafePointer(y)
        } else {
            source = UnsafePointer(x)
        }
        let rows = count / Swift.max(n, 1)
        Parallel.forEachRange(rows, grain: Swift.max(1, Parallel.transcendentalGrain / Swift.max(n, 1)), alignment: 1) { range in
            for r in range {
                SoftmaxRows.forward(source + r &* n, y + r &* n, n, logarithm: logarithm)
            }
        }
        return out
    }
}

/// The row kernels of softmax and log-softmax.
enum SoftmaxRows {
    /// One row, `source` → `row` (they may be the same buffer); `−∞` entries are masked.
    @inline(__always)
    static func forward(_ source: UnsafePointer<Float>, _ row: UnsafeMutablePointer<Float>, _ n: Int, logarithm: Bool) {
        let peak = Vector.maximum(source, n)
        if peak == -Float.infinity {  // every position masked (or n = 0)
            row.update(repeating: logarithm ? -Float.infinity : 0, count: n)
            return
        }
        if logarithm {
            // e^{−∞ − m} is 0 in `Vector.exp`: masked positions add nothing.
            let logSum = Foundation.log(exponentialSum(source, minus: peak, n))
            shift(source, by: peak, then: logSum, row, n)
        } else {
            let sum = Vector.exponentials(source, minus: peak, row, n)
            Vector.scaleRow(row, by: 1 / sum, row, n)
        }
    }

    /// `Σᵢ e^{x[i] − shift}`, nothing stored.
    static func exponentialSum(_ x: UnsafePointer<Float>, minus shift: Float, _ count: Int) -> Float {
        var s = Vector.Lanes()
        var i = 0
        while i &+ 16 <= count {
            s += Vector.exp(Vector.load(x + i) - shift)
            i &+= 16
        }
        if i < count {
            let e = Vector.exp(Vector.loadPartial(x + i, count &- i, padding: -.infinity) - shift)
            s += e
        }
        return Vector.laneSum(s)
    }

    /// `y[i] = (x[i] − a) − b`.
    static func shift(_ x: UnsafePointer<Float>, by a: Float, then b: Float, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            Vector.store((Vector.load(x + i) - a) - b, y + i)
            i &+= 16
        }
        if i < count {
            Vector.storePartial((Vector.loadPartial(x + i, count &- i, padding: 0) - a) - b, y + i, count &- i)
        }
    }

    /// `∂x (+)= y ⊙ (g − dot)`.
    static func softmaxGradient(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dot: Float,
                                _ gx: UnsafeMutablePointer<Float>, _ accumulate: Bool, _ n: Int) {
        var i = 0
        while i &+ 16 <= n {
            let v = Vector.load(y + i) * (Vector.load(g + i) - dot)
            Vector.store(accumulate ? Vector.load(gx + i) + v : v, gx + i)
            i &+= 16
        }
        if i < n {
            let width = n &- i
            let v = Vector.loadPartial(y + i, width, padding: 0) * (Vector.loadPartial(g + i, width, padding: 0) - dot)
            Vector.storePartial(accumulate ? Vector.loadPartial(gx + i, width, padding: 0) + v : v, gx + i, width)
        }
    }

    /// `∂x (+)= g − e^y · Σ g` over the positions with `y > −∞`, 0 (nothing added) elsewhere.
    static func logSoftmaxGradient(_ g: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                   _ gx: UnsafeMutablePointer<Float>, _ accumulate: Bool, _ n: Int) {
        var totals = Vector.Lanes()
        var i = 0
        while i < n {
            let width = Swift.min(16, n &- i)
            let gv = Vector.loadBlock(g + i, width, padding: 0)
            let yv = Vector.loadBlock(y + i, width, padding: -.infinity)
            totals += gv.replacing(with: 0, where: .!(yv .> -Float.infinity))
            i &+= 16
        }
        let total = Vector.laneSum(totals)
        i = 0
        while i < n {
            let width = Swift.min(16, n &- i)
            let gv = Vector.loadBlock(g + i, width, padding: 0)
            let yv = Vector.loadBlock(y + i, width, padding: -.infinity)
            let v = gv.addingProduct(Vector.exp(yv), -total).replacing(with: 0, where: .!(yv .> -Float.infinity))
            Vector.storeBlock(accumulate ? Vector.loadBlock(gx + i, width, padding: 0) + v : v, gx + i, width)
            i &+= 16
        }
    }
}
