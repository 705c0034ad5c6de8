/// Reusing the packed form of parameters across the matrix products of one training step or
/// one decoding run.
///
/// A recurrent decoder multiplies by the same weights at every time step, forward and
/// backward; on the bf16 paths each product would otherwise round and pack the whole weight
/// again (for a 64 × 256 × 768 step that costs more than the product itself). Inside
/// `withFrozenParameters`, `matmul` keeps the packed `op(W)` of every parameter (a leaf tensor
/// that requires gradients) it multiplies by, and drops them all at the end.
///
/// The contract: parameters must not change inside the closure. Optimizer steps, checkpoint
/// loading and finite-difference checks belong outside it.
public func withFrozenParameters<Result>(_ body: () throws -> Result) rethrows -> Result {
    let cache = FrozenParameters.shared
    guard !cache.isActive else { return try body() }
    cache.begin()
    defer { cache.end() }
    return try body()
}

/// The packed parameters of the current `withFrozenParameters` scope.
///
/// Entries outlive a scope so that the next one repacks into the same memory (a fresh
/// allocation of that size is fresh pages, and faulting them in cost more than the packing);
/// an entry not used during a scope is dropped at its end.
final class FrozenParameters {
    nonisolated(unsafe) static let shared = FrozenParameters()

    private struct Key: Hashable {
        let storage: ObjectIdentifier
        let transposed: Bool
        /// The block of the parameter's rows packed (all of them for a whole matrix).
        let rows: Range<Int>
    }

    private struct Entry {
        /// Kept alive, so that its identifier cannot be reused while the entry exists.
        let storage: Storage
        let packed: PackedMatrix
        /// The scope that last packed it.
        var scope: Int
    }

    private var entries: [Key: Entry] = [:]
    private var scope = 0
    private(set) var isActive = false

    func begin() {
        scope &+= 1
        isActive = true
    }

    func end() {
        isActive = false
        entries = entries.filter { $0.value.scope == scope }
    }

    /// The packed `op(tensor)` as the `B` of a product, if a scope is active and `tensor` is a
    /// parameter; `tensor` is `[k, n]`, or `[n, k]` when `transposed`. With `rows`, only that
    /// block of the parameter's rows is the matrix (a fused projection's query rows).
    static func packed(_ tensor: Tensor, transposed: Bool, rows: Range<Int>? = nil) -> PackedMatrix? {
        let cache = shared
        guard cache.isActive, tensor.requiresGrad, tensor.tapeIndex < 0, tensor.rank == 2 else { return nil }
        let rows = rows ?? 0..<tensor.shape[0]
        let source = tensor.data + rows.lowerBound * tensor.shape[1]
        let key = Key(storage: ObjectIdentifier(tensor.storage), transposed: transposed, rows: rows)
        if let entry = cache.entries[key], entry.packed.path == GEMM.path {
            if entry.scope != cache.scope {
                entry.packed.repack(from: source)
                cache.entries[key]?.scope = cache.scope
            }
            return entry.packed
        }
        let (k, n) = transposed ? (tensor.shape[1], rows.count) : (rows.count, tensor.shape[1])
        guard let packed = PackedMatrix(transposed: transposed, k: k, n: n, b: source, ldb: tensor.shape[1])
        else { return nil }
        cache.entries[key] = Entry(storage: tensor.storage, packed: packed, scope: cache.scope)
        return packed
    }
}
