/// Softmax and log-softmax along the last axis, with an optional mask.
///
/// `softmax(x)_i = e^{x_i − m} / Σ_j e^{x_j − m}` with `m = max_j x_j` for stability.
/// A masked position (mask element 0) is left out of the sum: it gets probability 0
/// (log-probability −∞). A row with every position masked gets all zeros, never NaN.
/// The mask broadcasts against `x` (`[B, 1, 1, S]` for key padding over `[B, h, T, S]`).
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
            let gx = x.gradientPointer(), g = gradient.data, y = out.data
            for r in 0..<rows {
                let base = r &* n
                var dot: Float = 0
                for t in 0..<n { dot += g[base &+ t] * y[base &+ t] }
                for t in 0..<n { gx[base &+ t] += y[base &+ t] * (g[base &+ t] - dot) }
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
            let gx = x.gradientPointer(), g = gradient.data, y = out.data
            for r in 0..<rows {
                let base = r &* n
                var total: Float = 0
                for t in 0..<n where y[base &+ t] > -Float.infinity { total += g[base &+ t] }
                for t in 0..<n where y[base &+ t] > -Float.infinity {
                    gx[base &+ t] += g[base &+ t] - Foundation.exp(y[base &+ t]) * total
                }
            }
        }
    }

    private func softmaxRows(mask: Tensor?, logarithm: Bool) -> Tensor {
        let n = shape.last ?? 1
        let out = Tensor(uninitializedShape: shape)
        let x = data, y = out.data
        // Masked positions are first set to −∞, so they drop out of the max and the sum.
        if let mask {
            guard let plan = Broadcast(shape, mask.shape), plan.shape == shape else {
                preconditionFailure("softmax: mask \(mask.shape) does not broadcast to \(shape)")
            }
            let m = mask.data
            plan.forEachRow { o, _, j, length, _, step in
                for t in 0..<length { y[o &+ t] = m[j &+ t &* step] == 0 ? -Float.infinity : x[o &+ t] }
            }
        } else {
            y.update(from: x, count: count)
        }
        let rows = count / Swift.max(n, 1)
        for r in 0..<rows {
            let row = y + r &* n
            var peak = -Float.infinity
            for t in 0..<n { peak = Swift.max(peak, row[t]) }
            if peak == -Float.infinity {  // every position masked
                for t in 0..<n { row[t] = logarithm ? -Float.infinity : 0 }
                continue
            }
            for t in 0..<n { row[t] -= peak }
            if logarithm {
                var sum: Float = 0
                for t in 0..<n where row[t] > -Float.infinity { sum += Foundation.exp(row[t]) }
                let logSum = Foundation.log(sum)
                for t in 0..<n { row[t] -= logSum }
            } else {
                let shifted = row
                for t in 0..<n where shifted[t] == -Float.infinity { shifted[t] = -200 }  // e⁻²⁰⁰ = 0 in Float
                Vector.exp(shifted, row, n)
                var sum: Float = 0
                for t in 0..<n { sum += row[t] }
                let scale = 1 / sum
                for t in 0..<n { row[t] *= scale }
            }
        }
        return out
    }
}

import Foundation
