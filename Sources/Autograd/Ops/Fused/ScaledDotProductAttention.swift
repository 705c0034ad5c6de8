import CKernels

/// Multi-head scaled dot-product attention, fused (Vaswani et al. 2017, §3.2.1–3.2.2):
///
///     P_h = softmax(Q_h K_hᵀ / √d + M)      O_h = P_h V_h
///
/// for every head `h`, where `Q_h`, `K_h`, `V_h` are the `d` columns `h·d ..< (h+1)·d` of the
/// query, key and value rows and `M` is 0 on allowed keys and −∞ on masked ones (key padding,
/// and with `causal` the keys after `t + (S − T)`). The heads are read and written in place,
/// as strided column blocks of the `[B, ·, h·d]` tensors (GEMM leading dimension `h·d`), so
/// the composed form's two permutes in and one permute out, and its separate scale, mask and
/// softmax results, are never materialised; only `P` is kept.
///
/// Pullback per batch entry and head, with `g = ∂O`:
/// `∂V += Pᵀ g`, `∂P = g Vᵀ`, `∂S = P ⊙ (∂P − rowsum(g ⊙ O))` (as `rowsum(g ⊙ O)_t =
/// Σ_s P_ts ∂P_ts`), `∂Q += ∂S K / √d`, `∂K += ∂Sᵀ Q / √d`. Masked keys have `P = 0`, so
/// they get `∂S = 0` and pass no gradient.
extension Tensor {
    /// softmax(Q_h K_hᵀ / √d + mask) V_h for every head h, heads side by side in the last axis.
    /// - Parameters:
    ///   - query: [B, T, h·d]
    ///   - key: [B, S, h·d]
    ///   - value: [B, S, h·d]
    ///   - heads: h (the last axis must divide evenly)
    ///   - keyMask: [B, S], 1 for a real key, 0 for padding; nil = all real
    ///   - causal: when true, query t may attend key s only if s ≤ t + (S − T) (for T == S: s ≤ t;
    ///     for T == 1 during incremental decoding it allows everything)
    /// - Returns: output [B, T, h·d] (recorded on the tape, differentiable w.r.t. query, key, value),
    ///   and the attention weights [B, h, T, S] (a plain tensor, not on the tape; rows sum to 1 over
    ///   allowed keys, an all-masked row is all zeros). The weights are the `P` the pullback
    ///   reads: treat them as read-only.
    public static func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int,
                                                 keyMask: Tensor? = nil, causal: Bool = false) -> (output: Tensor, weights: Tensor) {
        precondition(query.rank == 3 && key.rank == 3 && value.shape == key.shape
                     && query.shape[0] == key.shape[0] && query.shape[2] == key.shape[2],
                     "scaledDotProductAttention: query \(query.shape), key \(key.shape), value \(value.shape)")
        return scaledDotProductAttention(query: AttentionColumns(query), key: AttentionColumns(key), value: AttentionColumns(value),
                                         heads: heads, keyMask: keyMask, causal: causal)
    }

    /// The same with each input a block of columns, read and differentiated in place: with
    /// `projected = x W_{QKV}ᵀ + b` `[B, T, 3D]`, self-attention reads its columns `0..<D`,
    /// `D..<2D` and `2D..<3D` without copying them out (and back, for the gradient).
    public static func scaledDotProductAttention(query: AttentionColumns, key: AttentionColumns, value: AttentionColumns,
                                                 heads: Int, keyMask: Tensor? = nil,
                                                 causal: Bool = false) -> (output: Tensor, weights: Tensor) {
        let batch = query.tensor.shape[0], targetLength = query.rows, sourceLength = key.rows
        let width = query.width
        precondition(key.width == width && value.width == width && value.rows == sourceLength
                     && key.tensor.shape[0] == batch && value.tensor.shape[0] == batch,
                     "scaledDotProductAttention: query \(query.width) columns of \(query.tensor.shape), key \(key.width) of "
                     + "\(key.tensor.shape), value \(value.width) of \(value.tensor.shape)")
        precondition(heads > 0 && width % heads == 0,
                     "scaledDotProductAttention: width \(width) does not split into \(heads) heads")
        if let keyMask {
            precondition(keyMask.shape == [batch, sourceLength],
                         "scaledDotProductAttention: key mask \(keyMask.shape), expected \([batch, sourceLength])")
        }
        let layout = AttentionLayout(batch: batch, heads: heads, targetLength: targetLength, sourceLength: sourceLength,
                                     headWidth: width / heads, strides: (query.stride, key.stride, value.stride),
                                     starts: (query.start, key.start, value.start))
        let out = Tensor(uninitializedShape: [batch, targetLength, width])
        let weights = Tensor(uninitializedShape: [batch, heads, targetLength, sourceLength])
        let mask = keyMask.map { UnsafePointer($0.data) }
        let (q, k, v) = (query.tensor, key.tensor, value.tensor)
        layout.forEachPair { pair in
            layout.forward(pair, q: q.data, k: k.data, v: v.data, keyMask: mask, causal: causal, p: weights.data, o: out.data)
        }
        var inputs = [q]  // each tensor once, however many blocks read it
        for t in [k, v] where !inputs.contains(where: { $0 === t }) { inputs.append(t) }
        let output = Tape.record(.scaledDotProductAttention, output: out, inputs: inputs) { gradient in
            let (dq, dk, dv) = AttentionLayout.gradients(query, key, value)
            layout.forEachPair { pair in
                layout.backward(pair, g: gradient.data, q: q.data, k: k.data, v: v.data,
                                p: weights.data, o: out.data, dq: dq, dk: dk, dv: dv)
            }
        }
        return (output, weights)
    }
}

/// Columns `start ..< start + width` of every row of a `[B, ·, C]` tensor: an input of attention
/// read in place from a wider tensor, such as one third of a fused query-key-value projection.
public struct AttentionColumns {
    public let tensor: Tensor
    public let start: Int
    public let width: Int

    public init(_ tensor: Tensor, start: Int = 0, width: Int? = nil) {
        let width = width ?? tensor.shape[tensor.rank - 1] - start
        precondition(tensor.rank == 3 && start >= 0 && width > 0 && start + width <= tensor.shape[2],
                     "AttentionColumns: columns \(start) ..< \(start + width) of \(tensor.shape)")
        (self.tensor, self.start, self.width) = (tensor, start, width)
    }

    var rows: Int { tensor.shape[1] }
    /// The stored row length, `C`.
    var stride: Int { tensor.shape[2] }
}

/// The extents of one attention call and the (batch entry, head) pairs it splits into.
private struct AttentionLayout {
    let batch: Int, heads: Int, targetLength: Int, sourceLength: Int, headWidth: Int
    /// Row strides and first columns of the query, key and value blocks.
    let strides: (query: Int, key: Int, value: Int)
    let starts: (query: Int, key: Int, value: Int)
    var width: Int { heads &* headWidth }
    var scale: Float { 1 / Float(headWidth).squareRoot() }

    /// Below this many multiply-adds per product (`B·h·T·S·d`) the pairs run on the calling
    /// thread: a decoding step or a gradient check is over before a worker would pick a task up.
    static let parallelThreshold = 1 << 16

    /// Runs `body` for every pair `b·h + j`, spread over the `Parallel` pool when it pays.
    /// Pairs write disjoint column blocks of the outputs and gradients, so they may run at once.
    /// Each thread takes a run of consecutive pairs, so that it can ask for the next pair's rows
    /// (`prefetch`) while it works on this one: a head's rows are short strided pieces of the
    /// `[B, ·, C]` tensors, which the hardware prefetchers do not follow.
    func forEachPair(_ body: (Int) -> Void) {
        let pairs = batch &* heads
        if pairs &* targetLength &* sourceLength &* headWidth >= Self.parallelThreshold {
            Parallel.forEachRange(pairs, grain: 1, alignment: 1) { range in for pair in range { body(pair) } }
        } else {
            for pair in 0..<pairs { body(pair) }
        }
    }

    /// Asks for pair `pair`'s query, key and value rows (and in the pullback its rows of the
    /// output and of its gradient), if there is such a pair.
    func prefetch(_ pair: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                  output: (o: UnsafePointer<Float>, g: UnsafePointer<Float>)? = nil) {
        guard pair < batch &* heads else { return }
        let at = offsets(pair)
        for t in 0..<targetLength {
            attend_prefetch(q + (at.query &+ t &* strides.query), headWidth)
            if let output {
                attend_prefetch(output.o + (at.output &+ t &* width), headWidth)
                attend_prefetch(output.g + (at.output &+ t &* width), headWidth)
            }
        }
        for s in 0..<sourceLength {
            attend_prefetch(k + (at.key &+ s &* strides.key), headWidth)
            attend_prefetch(v + (at.value &+ s &* strides.value), headWidth)
        }
    }

    /// Offsets of pair `b·h + j`'s first query, key and value element (rows `strides` apart),
    /// first output element (`[T, d]` of `[B, T, h·d]`) and weights (`[T, S]`, contiguous).
    private func offsets(_ pair: Int) -> (query: Int, key: Int, value: Int, output: Int, weights: Int) {
        let b = pair / heads, column = (pair % heads) &* headWidth
        return ((b &* targetLength &* strides.query) &+ starts.query &+ column,
                (b &* sourceLength &* strides.key) &+ starts.key &+ column,
                (b &* sourceLength &* strides.value) &+ starts.value &+ column,
                (b &* targetLength &* width) &+ column,
                pair &* targetLength &* sourceLength)
    }

    /// `P = softmax(Q Kᵀ/√d + M)`, `O = P V` for one pair.
    func forward(_ pair: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                 keyMask: UnsafePointer<Float>?, causal: Bool,
                 p: UnsafeMutablePointer<Float>, o: UnsafeMutablePointer<Float>) {
        let at = offsets(pair)
        let T = targetLength, S = sourceLength, d = headWidth
        prefetch(pair &+ 1, q: q, k: k, v: v)
        let scores = p + at.weights
        GEMM.multiply(transposeA: false, transposeB: true, m: T, n: S, k: d, alpha: scale,
                      a: q + at.query, lda: strides.query, b: k + at.key, ldb: strides.key, beta: 0, c: scores, ldc: S)
        let mask = keyMask.map { UnsafePointer($0 + (pair / heads) &* S) }
        for t in 0..<T {
            // Keys s < allowed pass the causal test s ≤ t + (S − T); none when T > S + t.
            let allowed = causal ? Swift.max(0, Swift.min(S, t &+ S &- T &+ 1)) : S
            AttentionRows.softmax(scores + t &* S, S, allowed: allowed, mask: mask)
        }
        GEMM.multiply(transposeA: false, transposeB: false, m: T, n: d, k: S,
                      a: scores, lda: S, b: v + at.value, ldb: strides.value, beta: 0, c: o + at.output, ldc: width)
    }

    /// A gradient buffer and the β its products use: 1 adds, 0 overwrites a fresh buffer.
    struct Gradient {
        let pointer: UnsafeMutablePointer<Float>
        let beta: Float
    }

    /// The gradient buffers of the three inputs (`nil` where not wanted), made on the calling
    /// thread before any task runs. Every pair writes its own blocks once, so a fresh buffer needs
    /// no zeros (its products run with β = 0) when the blocks reading one tensor tile its columns
    /// exactly; blocks that overlap or leave columns out add into a zeroed one.
    static func gradients(_ blocks: AttentionColumns...) -> (Gradient?, Gradient?, Gradient?) {
        var made: [ObjectIdentifier: Gradient] = [:]  // one buffer per tensor, however many blocks read it
        let buffers = blocks.map { block -> Gradient? in
            let tensor = block.tensor
            guard tensor.requiresGrad else { return nil }
            if let existing = made[ObjectIdentifier(tensor)] { return existing }
            let sharing = blocks.filter { $0.tensor === tensor }.sorted { $0.start < $1.start }
            let tiles = sharing.first?.start == 0 && sharing.last.map { $0.start + $0.width == $0.stride } == true
                && zip(sharing, sharing.dropFirst()).allSatisfy { $0.start + $0.width == $1.start }
            let gradient: Gradient
            if tiles {
                let (pointer, beta) = tensor.productGradientBuffer()
                gradient = Gradient(pointer: pointer, beta: beta)
            } else {
                gradient = Gradient(pointer: tensor.gradientPointer(), beta: 1)
            }
            made[ObjectIdentifier(tensor)] = gradient
            return gradient
        }
        return (buffers[0], buffers[1], buffers[2])
    }

    /// Adds (or, with β = 0, writes) one pair's share of `∂Q`, `∂K`, `∂V` (each `nil` when not wanted).
    func backward(_ pair: Int, g: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                  v: UnsafePointer<Float>, p: UnsafePointer<Float>, o: UnsafePointer<Float>,
                  dq: Gradient?, dk: Gradient?, dv: Gradient?) {
        let at = offsets(pair)
        let T = targetLength, S = sourceLength, d = headWidth, D = width
        prefetch(pair &+ 1, q: q, k: k, v: v, output: (o, g))
        let weights = p + at.weights, gradient = g + at.output
        if let dv {  // ∂V += Pᵀ g
            GEMM.multiply(transposeA: true, transposeB: false, m: S, n: d, k: T, a: weights, lda: S, b: gradient, ldb: D,
                          beta: dv.beta, c: dv.pointer + at.value, ldc: strides.value)
        }
        guard dq != nil || dk != nil else { return }
        // ∂S, T × S: on the stack when it fits (a 20 × 20 head's does), not allocated per pair.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.max(T &* S, 1)) { buffer in
            let ds = buffer.baseAddress!
            // ∂P = g Vᵀ, then in place ∂S = P ⊙ (∂P − rowsum(g ⊙ O)).
            GEMM.multiply(transposeA: false, transposeB: true, m: T, n: S, k: d,
                          a: gradient, lda: D, b: v + at.value, ldb: strides.value, beta: 0, c: ds, ldc: S)
            for t in 0..<T {
                let dot = Vector.dot(gradient + t &* D, o + (at.output &+ t &* D), d)
                AttentionRows.scoreGradient(weights + t &* S, dot, ds + t &* S, S)
            }
            if let dq {  // ∂Q += ∂S K / √d
                GEMM.multiply(transposeA: false, transposeB: false, m: T, n: d, k: S, alpha: scale, a: ds, lda: S,
                              b: k + at.key, ldb: strides.key, beta: dq.beta, c: dq.pointer + at.query, ldc: strides.query)
            }
            if let dk {  // ∂K += ∂Sᵀ Q / √d
                GEMM.multiply(transposeA: true, transposeB: false, m: S, n: d, k: T, alpha: scale, a: ds, lda: S,
                              b: q + at.query, ldb: strides.query, beta: dk.beta, c: dk.pointer + at.key, ldc: strides.key)
            }
        }
    }
}

/// The row kernels of attention's softmax, 16 keys at a time.
enum AttentionRows {
    /// `row = softmax(row)` over the keys `s < allowed` with `mask[s] ≠ 0` (all keys when `mask`
    /// is nil); other keys get 0, and so does every key of a row with none allowed.
    @inline(__always)
    static func softmax(_ row: UnsafeMutablePointer<Float>, _ S: Int, allowed: Int, mask: UnsafePointer<Float>?) {
        if S <= 32 {
            shortSoftmax(row, S, allowed: allowed, mask: mask)
        } else {
            longSoftmax(row, S, allowed: allowed, mask: mask)
        }
    }

    /// `softmax` in passes over the row: masking, maximum, exponentials and sum, scaling.
    static func longSoftmax(_ row: UnsafeMutablePointer<Float>, _ S: Int, allowed: Int, mask: UnsafePointer<Float>?) {
        // Masked keys are set to −∞ first, so they drop out of the max, and e^{−∞} is 0.
        var s = 0
        while s < S {
            let w = Swift.min(16, S &- s)
            let masked = maskedKeys(s, w, allowed: allowed, mask: mask)
            Vector.storeBlock(Vector.loadBlock(row + s, w, padding: 0).replacing(with: -.infinity, where: masked), row + s, w)
            s &+= 16
        }
        let peak = Vector.maximum(row, S)
        if peak == -.infinity {  // every key masked: zeros, never NaN
            row.update(repeating: 0, count: S)
            return
        }
        let sum = Vector.exponentials(row, minus: peak, row, S)
        Vector.scaleRow(row, by: 1 / sum, row, S)
    }

    /// `softmax` of a row of at most 32 keys in two registers: one load and one store per
    /// block instead of a pass per step (a short row's passes cost more than its arithmetic).
    /// The same operations in the same order, so the same bits.
    @inline(__always)
    static func shortSoftmax(_ row: UnsafeMutablePointer<Float>, _ S: Int, allowed: Int, mask: UnsafePointer<Float>?) {
        typealias Lanes = Vector.Lanes
        let w0 = Swift.min(16, S), w1 = S &- w0
        let m0 = maskedKeys(0, w0, allowed: allowed, mask: mask), m1 = maskedKeys(16, w1, allowed: allowed, mask: mask)
        let x0 = Vector.loadBlock(row, w0, padding: 0).replacing(with: -.infinity, where: m0)
        let x1 = w1 > 0 ? Vector.loadBlock(row + 16, w1, padding: 0).replacing(with: -.infinity, where: m1)
                        : Lanes(repeating: -.infinity)
        let peak = Vector.laneMax(x0.replacing(with: x1, where: x1 .> x0))
        if peak == -.infinity {  // every key masked: zeros, never NaN
            row.update(repeating: 0, count: S)
            return
        }
        let e0 = Vector.exp(x0 - peak).replacing(with: 0, where: m0)
        let e1 = Vector.exp(x1 - peak).replacing(with: 0, where: m1)
        let scale = 1 / Vector.laneSum(e0 + e1)
        Vector.storeBlock(e0 * scale, row, w0)
        if w1 > 0 { Vector.storeBlock(e1 * scale, row + 16, w1) }
    }

    /// The lanes of keys `s ..< s + 16` that get no weight: past the causal limit `allowed`, padding
    /// (`mask` 0), or past the block's `w` live keys.
    @inline(__always)
    private static func maskedKeys(_ s: Int, _ w: Int, allowed: Int, mask: UnsafePointer<Float>?) -> SIMDMask<Vector.Bits> {
        let index = Vector.laneIndices &+ Vector.Bits(repeating: Int32(truncatingIfNeeded: s))
        var masked = index .>= Vector.Bits(repeating: Int32(truncatingIfNeeded: Swift.min(allowed, s &+ w)))
        if let mask { masked .|= Vector.loadBlock(mask + s, w, padding: 0) .== 0 }
        return masked
    }

    /// `∂S = P ⊙ (∂P − dot)` in place over `∂P`.
    @inline(__always)
    static func scoreGradient(_ p: UnsafePointer<Float>, _ dot: Float, _ ds: UnsafeMutablePointer<Float>, _ S: Int) {
        var s = 0
        while s < S {
            let w = Swift.min(16, S &- s)
            Vector.storeBlock(Vector.loadBlock(p + s, w, padding: 0) * (Vector.loadBlock(ds + s, w, padding: 0) - dot), ds + s, w)
            s &+= 16
        }
    }
}
