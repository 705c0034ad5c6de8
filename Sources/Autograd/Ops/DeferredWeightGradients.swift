/// Weight gradients of a backward pass gathered into one product per weight.
///
/// A recurrent layer multiplies by the same weight at every time step, so its gradient is a sum
/// over steps, `∂W = Σ_t ∂Y_tᵀ X_t`: twenty products of depth `B` = 64, each reading and
/// writing all of `∂W`. During `backward()` the `matmul` pullback instead files `(X_t, ∂Y_t)`
/// under the parameter, and when the walk is done each parameter's pieces are stacked into
/// `X = [X_1; …; X_T]` and `∂Y = [∂Y_1; …; ∂Y_T]` for one product `∂W += ∂Yᵀ X` of depth
/// `T · B`: the same sum, one pass over `∂W`, and a product large enough to share between threads.
/// The product reads the pieces as `StackedRows` (a bf16 path packs them where they lie; the
/// float32 kernels get them copied together). A `linear` op's bias waits with its weight:
/// `∂b += Σ_rows ∂Y`, one sum over the pieces of `∂Y` in order.
final class DeferredWeightGradients {
    /// Rows from which a piece's product is efficient alone (a Transformer's `B · T` rows, an
    /// RNN's input projection over all steps): the pullback multiplies it at once, while its
    /// `∂C` is still in cache, rather than reading it back from memory at the end of the pass
    /// (the bf16 Transformer step on Zen 4 took 2.4% less time than with every piece deferred).
    static let largePiece = 512

    /// The pass collecting pieces (set for the duration of `Tape.backward`), or `nil`.
    nonisolated(unsafe) static var active: DeferredWeightGradients?

    /// One product `C = op(A)·op(W)` whose `∂W` is pending: `A` `[m, k]` (stored plainly) and `∂C` `[m, n]`.
    struct Piece {
        let input: Tensor
        let outputGradient: Tensor
        let rows: Int
    }

    private struct Group {
        let weight: Tensor
        let transposed: Bool
        let k: Int, n: Int
        /// The bias whose gradient every piece also carries, if any.
        let bias: Tensor?
        var pieces: [Piece]
    }

    private var groups: [Group] = []
    private var index: [ObjectIdentifier: Int] = [:]

    /// Files `∂W += op(A)ᵀ·∂C` (and `∂b += Σ_rows ∂C` with a `bias`) for later; `weight` is
    /// `[k, n]`, or `[n, k]` when `transposed`.
    func add(weight: Tensor, transposed: Bool, k: Int, n: Int, bias: Tensor? = nil, piece: Piece) {
        let key = ObjectIdentifier(weight)
        if let position = index[key], groups[position].transposed == transposed, groups[position].bias === bias {
            groups[position].pieces.append(piece)
            return
        }
        // The same weight used both ways, or with another bias: a group for each.
        if index[key] == nil { index[key] = groups.count }
        groups.append(Group(weight: weight, transposed: transposed, k: k, n: n, bias: bias, pieces: [piece]))
    }

    /// Adds every filed gradient into its weight, one product per weight and orientation.
    func flush() {
        for group in groups {
            // A weight without a gradient yet gets it written (β = 0), not zero-filled and added to.
            let (db, beta) = group.weight.productGradientBuffer()
            let inputs = StackedRows(pieces: group.pieces.map { (UnsafePointer($0.input.data), $0.rows) }, ld: group.k)
            let gradients = StackedRows(pieces: group.pieces.map { (UnsafePointer($0.outputGradient.data), $0.rows) },
                                        ld: group.n)
            if group.transposed {  // W stored [n, k]: ∂W += ∂Cᵀ·A
                GEMM.multiply(stackedA: gradients, stackedB: inputs, m: group.n, n: group.k, beta: beta, c: db, ldc: group.k)
            } else {  // W stored [k, n]: ∂W += Aᵀ·∂C
                GEMM.multiply(stackedA: inputs, stackedB: gradients, m: group.k, n: group.n, beta: beta, c: db, ldc: group.n)
            }
            group.bias?.addBiasGradient(summing: gradients)
        }
        groups = []
        index = [:]
    }
}
