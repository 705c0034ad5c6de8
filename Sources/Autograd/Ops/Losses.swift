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
    /// `label_smoothing`), and its gradient is `∂z = p − q`. With `log p_v = z_v − m − log Σ`
    /// (`m` the row's maximum, `Σ = Σ_v e^{z_v − m}`), the smoothing term is
    /// `Σ_v log p_v = Σ_v z_v − V·(m + log Σ)`.
    ///
    /// Rows are independent: they are split over the `Parallel` pool, each row's loss kept in
    /// Float64 and the rows' losses added in row order, so the thread count changes no bit.
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
        for target in targets where target != ignoreIndex {
            precondition(target >= 0 && target < classes, "crossEntropy: target \(target) outside 0..<\(classes)")
        }
        let probabilities = Tensor(uninitializedShape: [rows, classes])  // p, kept for the pullback
        let epsilon = labelSmoothing, offValue = labelSmoothing / Float(classes)
        var losses = [Double](repeating: 0, count: rows)
        losses.withUnsafeMutableBufferPointer { losses in
            let losses = losses.baseAddress!
            Parallel.forEachRange(rows, grain: Swift.max(1, Parallel.transcendentalGrain / classes), alignment: 1) { range in
                for r in range where targets[r] != ignoreIndex {
                    let z = logits.data + r &* classes, p = probabilities.data + r &* classes
                    let peak = Vector.maximum(z, classes)
                    let sum = Vector.exponentials(z, minus: peak, p, classes)
                    let logSum = Foundation.log(sum)
                    // log p_v = z_v − peak − logSum
                    var loss = Double(1 - epsilon) * Double(-(z[targets[r]] - peak - logSum))
                    if epsilon > 0 {
                        let sumLog = Double(Vector.sum(z, classes)) - Double(classes) * (Double(peak) + Double(logSum))
                        loss -= Double(offValue) * sumLog
                    }
                    losses[r] = loss
                    Vector.scaleRow(p, by: 1 / sum, p, classes)
                }
            }
        }
        var total = 0.0
        var counted = 0
        for r in 0..<rows where targets[r] != ignoreIndex {
            total += losses[r]
            counted += 1
        }
        let divisor: Float = reduction == .mean ? Float(Swift.max(counted, 1)) : 1
        let out = Tensor(Float(total) / divisor)
        return Tape.record(.crossEntropy, output: out, inputs: [logits]) { gradient in
            let g = gradient.data[0] / divisor
            // With no gradient yet, p becomes it in place: the pullback runs once per tape.
            let adopting = logits.grad == nil
            let target = adopting ? probabilities.data : logits.gradientPointer()
            Parallel.forEachRange(rows, grain: Swift.max(1, Parallel.elementGrain / classes), alignment: 1) { range in
                for r in range {
                    let p = probabilities.data + r &* classes, dz = target + r &* classes
                    if targets[r] == ignoreIndex {
                        if adopting { dz.update(repeating: 0, count: classes) }
                        continue
                    }
                    // ∂z_v (+)= g·p_v − g·ε/V, then the target's −g·(1 − ε).
                    Vector.affineRow(p, scale: g, shift: -g * offValue, into: dz, accumulate: !adopting, classes)
                    dz[targets[r]] -= g * (1 - epsilon)
                }
            }
            if adopting { logits.grad = Tensor(shape: logits.shape, storage: probabilities.storage) }
        }
    }
}
