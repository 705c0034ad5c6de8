import Foundation

/// How a per-token loss is reduced to a scalar.
public enum Reduction: Sendable {
    /// The mean over the tokens that are not ignored.
    case mean
    /// The sum over the tokens that are not ignored (for perplexity: divide by the count).
    case sum
}

extension Tensor {
    /// Cross-entropy of logits against target classes, fused with the log-softmax.
    ///
    /// With `p = softmax(z)` and the smoothed target `q = (1 − ε)·onehot(y) + ε/V`,
    /// the loss of one token is `−Σ_v q_v log p_v` (Szegedy et al. 2016, §7; as PyTorch's
    /// `label_smoothing`), and its gradient is `∂z = p − q`.
    ///
    /// - Parameters:
    ///   - self: logits `[…, V]`, e.g. `[B, T, V]`.
    ///   - targets: one class per row of logits, `count / V` of them, row-major.
    ///   - ignoreIndex: a target value (padding) whose tokens add no loss and no gradient.
    ///   - labelSmoothing: ε in `[0, 1)`.
    /// - Returns: a scalar, reduced over the tokens not ignored (0 when all are ignored).
    public func crossEntropy(targets: [Int], ignoreIndex: Int? = nil, labelSmoothing: Float = 0,
                             reduction: Reduction = .mean) -> Tensor {
        let logits = self
        let classes = shape.last ?? 1
        let rows = count / classes
        precondition(targets.count == rows, "crossEntropy: \(rows) rows of logits, \(targets.count) targets")
        let probabilities = Tensor(uninitializedShape: [rows, classes])  // p, kept for the pullback
        var total = 0.0
        var counted = 0
        let epsilon = labelSmoothing, offValue = labelSmoothing / Float(classes)
        for r in 0..<rows {
            let z = logits.data + r &* classes, p = probabilities.data + r &* classes
            let target = targets[r]
            if target == ignoreIndex { continue }
            precondition(target >= 0 && target < classes, "crossEntropy: target \(target) outside 0..<\(classes)")
            var peak = -Float.infinity
            for v in 0..<classes { peak = Swift.max(peak, z[v]) }
            for v in 0..<classes { p[v] = z[v] - peak }
            Vector.exp(p, p, classes)
            var sum: Float = 0
            for v in 0..<classes { sum += p[v] }
            let logSum = Foundation.log(sum)
            // log p_v = z_v − peak − logSum
            var loss = Double(1 - epsilon) * Double(-(z[target] - peak - logSum))
            if epsilon > 0 {
                var sumLog = 0.0
                for v in 0..<classes { sumLog += Double(z[v] - peak - logSum) }
                loss -= Double(offValue) * sumLog
            }
            total += loss
            counted += 1
            let scale = 1 / sum
            for v in 0..<classes { p[v] *= scale }
        }
        let divisor: Float = reduction == .mean ? Float(Swift.max(counted, 1)) : 1
        let out = Tensor(Float(total) / divisor)
        return Tape.record(.crossEntropy, output: out, inputs: [logits]) { gradient in
            let g = gradient.data[0] / divisor
            let gz = logits.gradientPointer()
            for r in 0..<rows where targets[r] != ignoreIndex {
                let p = probabilities.data + r &* classes, dz = gz + r &* classes
                for v in 0..<classes { dz[v] += g * (p[v] - offValue) }
                dz[targets[r]] -= g * (1 - epsilon)
            }
        }
    }
}
