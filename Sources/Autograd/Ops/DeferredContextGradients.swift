/// The values' gradient of `attentionContext` gathered over a backward pass into one batched
/// product.
///
/// A decoder attends to the same encoder states `h̄` `[B, S, M]` at every step, and each step's
/// pullback would add `∂h̄_bs += α_bs ∂c_b` into all of `∂h̄`: twenty passes over a tensor that
/// does not fit the cache. Instead each step files `(α_t, ∂c_t)` under `h̄`, and before anything
/// reads `∂h̄` (the pullback of the op that made `h̄`, or the end of the pass) they are summed at
/// once, per batch entry `∂h̄_b += A_bᵀ G_b` with `A_b = [α_1b; …; α_Tb]` `[T, S]` and
/// `G_b = [∂c_1b; …; ∂c_Tb]` `[T, M]`.
final class DeferredContextGradients {
    /// The pass collecting pieces (set for the duration of `Tape.backward`), or `nil`.
    nonisolated(unsafe) static var active: DeferredContextGradients?

    private struct Pending {
        let values: Tensor
        var weights: [Tensor] = []
        var gradients: [Tensor] = []
    }

    private var pending: [ObjectIdentifier: Pending] = [:]

    var isEmpty: Bool { pending.isEmpty }

    /// Files `∂values_bs += weights_bs · gradient_b` for later: `weights` `[B, S]`, `gradient` `[B, M]`.
    func add(values: Tensor, weights: Tensor, gradient: Tensor) {
        pending[ObjectIdentifier(values), default: Pending(values: values)].weights.append(weights)
        pending[ObjectIdentifier(values)]?.gradients.append(gradient)
    }

    /// Sums what waits for `tensor`'s gradient into it, if anything does; returns whether anything did.
    @discardableResult
    func flush(_ tensor: Tensor) -> Bool {
        guard let entry = pending.removeValue(forKey: ObjectIdentifier(tensor)) else { return false }
        Self.sum(entry)
        return true
    }

    /// Sums everything still waiting.
    func flushAll() {
        for entry in pending.values { Self.sum(entry) }
        pending = [:]
    }

    private static func sum(_ entry: Pending) {
        let values = entry.values
        let batch = values.shape[0], length = values.shape[1], width = values.shape[2]
        let steps = entry.weights.count
        // A = [T, B, S], G = [T, B, M]: step t's rows one after the other.
        let (weights, keptWeights) = StackedRows(pieces: entry.weights.map { (UnsafePointer($0.data), batch) }, ld: length).contiguous()
        let (gradients, keptGradients) = StackedRows(pieces: entry.gradients.map { (UnsafePointer($0.data), batch) }, ld: width).contiguous()
        let (target, beta) = values.productGradientBuffer()
        Parallel.forEachRange(batch, grain: 1, alignment: 1) { range in
            for b in range {  // ∂h̄_b (+)= A_bᵀ G_b
                GEMM.multiply(transposeA: true, transposeB: false, m: length, n: width, k: steps,
                              a: weights + b * length, lda: batch * length,
                              b: gradients + b * width, ldb: batch * width,
                              beta: beta, c: target + b * length * width, ldc: width)
            }
        }
        withExtendedLifetime((keptWeights, keptGradients)) {}
    }
}
