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
        let batch = query.shape[0], targetLength = query.shape[1], sourceLength = key.shape[1]
        let width = query.shape[2]
        precondition(heads > 0 && width % heads == 0,
                     "scaledDotProductAttention: width \(width) does not split into \(heads) heads")
        if let keyMask {
            precondition(keyMask.shape == [batch, sourceLength],
                         "scaledDotProductAttention: key mask \(keyMask.shape), expected \([batch, sourceLength])")
        }
        let layout = AttentionLayout(batch: batch, heads: heads, targetLength: targetLength,
                                     sourceLength: sourceLength, headWidth: width / heads)
        let out = Tensor(uninitializedShape: [batch, targetLength, width])
        let weights = Tensor(uninitializedShape: [batch, heads, targetLength, sourceLength])
        let mask = keyMask.map { UnsafePointer($0.data) }
        layout.forEachPair { pair in
            layout.forward(pair, q: query.data, k: key.data, v: value.data, keyMask: mask, causal: causal,
                           p: weights.data, o: out.data)
        }
        let output = Tape.record(.scaledDotProductAttention, output: out, inputs: [query, key, value]) { gradient in
            // Created here, before the tasks run: a gradient buffer is allocated lazily. Every
            // pair writes its own blocks of ∂Q, ∂K, ∂V once, so a fresh buffer needs no zeros
            // (its product runs with β = 0) unless two of the inputs are the same tensor.
            let distinct = query !== key && key !== value && query !== value
            func buffer(_ t: Tensor) -> AttentionLayout.Gradient? {
                guard t.requiresGrad else { return nil }
                if !distinct { return AttentionLayout.Gradient(pointer: t.gradientPointer(), beta: 1) }
                let (pointer, beta) = t.productGradientBuffer()
                return AttentionLayout.Gradient(pointer: pointer, beta: beta)
            }
            let dq = buffer(query), dk = buffer(key), dv = buffer(value)
            layout.forEachPair { pair in
                layout.backward(pair, g: gradient.data, q: query.data, k: key.data, v: value.data,
                                p: weights.data, o: out.data, dq: dq, dk: dk, dv: dv)
            }
        }
        return (output, weights)
    }
}

/// The extents of one attention call and the (batch entry, head) pairs it splits into.
private struct AttentionLayout {
    let batch: Int, heads: Int, targetLength: Int, sourceLength: Int, headWidth: Int
    var width: Int { heads &* headWidth }
    var scale: Float { 1 / Float(headWidth).squareRoot() }

    /// Below this many multiply-adds per product (`B·h·T·S·d`) the pairs run on the calling
    /// thread: a decoding step or a gradient check is over before a worker would pick a task up.
    static let parallelThreshold = 1 << 16

    /// Runs `body` for every pair `b·h + j`, spread over the `Parallel` pool when it pays.
    /// Pairs write disjoint column blocks of the outputs and gradients, so they may run at once.
    func forEachPair(_ body: (Int) -> Void) {
        let pairs = batch &* heads
        if pairs &* targetLength &* sourceLength &* headWidth >= Self.parallelThreshold {
            Parallel.run(tasks: pairs, body)
        } else {
            for pair in 0..<pairs { body(pair) }
        }
    }

    /// Offsets of pair `b·h + j`'s first query row (`[T, d]`, stride `h·d`), first key/value
    /// row (`[S, d]`, stride `h·d`) and weights (`[T, S]`, contiguous).
    private func offsets(_ pair: Int) -> (query: Int, key: Int, weights: Int) {
        let b = pair / heads, j = pair % heads
        return ((b &* targetLength &* width) &+ j &* headWidth,
                (b &* sourceLength &* width) &+ j &* headWidth,
                pair &* targetLength &* sourceLength)
    }

    /// `P = softmax(Q Kᵀ/√d + M)`, `O = P V` for one pair.
    func forward(_ pair: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                 keyMask: UnsafePointer<Float>?, causal: Bool,
                 p: UnsafeMutablePointer<Float>, o: UnsafeMutablePointer<Float>) {
        let (qOffset, kOffset, pOffset) = offsets(pair)
        let T = targetLength, S = sourceLength, d = headWidth, D = width
        let scores = p + pOffset
        GEMM.multiply(transposeA: false, transposeB: true, m: T, n: S, k: d, alpha: scale,
                      a: q + qOffset, lda: D, b: k + kOffset, ldb: D, beta: 0, c: scores, ldc: S)
        let mask = keyMask.map { UnsafePointer($0 + (pair / heads) &* S) }
        for t in 0..<T {
            // Keys s < allowed pass the causal test s ≤ t + (S − T); none when T > S + t.
            let allowed = causal ? Swift.max(0, Swift.min(S, t &+ S &- T &+ 1)) : S
            AttentionRows.softmax(scores + t &* S, S, allowed: allowed, mask: mask)
        }
        GEMM.multiply(transposeA: false, transposeB: false, m: T, n: d, k: S,
                      a: scores, lda: S, b: v + kOffset, ldb: D, beta: 0, c: o + qOffset, ldc: D)
    }

    /// A gradient buffer and the β its products use: 1 adds, 0 overwrites a fresh buffer.
    struct Gradient {
        let pointer: UnsafeMutablePointer<Float>
        let beta: Float
    }

    /// Adds (or, with β = 0, writes) one pair's share of `∂Q`, `∂K`, `∂V` (each `nil` when not wanted).
    func backward(_ pair: Int, g: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                  v: UnsafePointer<Float>, p: UnsafePointer<Float>, o: UnsafePointer<Float>,
                  dq: Gradient?, dk: Gradient?, dv: Gradient?) {
        let (qOffset, kOffset, pOffset) = offsets(pair)
        let T = targetLength, S = sourceLength, d = headWidth, D = width
        let weights = p + pOffset, gradient = g + qOffset
        if let dv {  // ∂V += Pᵀ g
            GEMM.multiply(transposeA: true, transposeB: false, m: S, n: d, k: T,
                          a: weights, lda: S, b: gradient, ldb: D, beta: dv.beta, c: dv.pointer + kOffset, ldc: D)
        }
        guard dq != nil || dk != nil else { return }
        let ds = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(T &* S, 1))
        defer { ds.deallocate() }
        // ∂P = g Vᵀ, then in place ∂S = P ⊙ (∂P − rowsum(g ⊙ O)).
        GEMM.multiply(transposeA: false, transposeB: true, m: T, n: S, k: d,
                      a: gradient, lda: D, b: v + kOffset, ldb: D, beta: 0, c: ds, ldc: S)
        for t in 0..<T {
            let dot = Vector.dot(gradient + t &* D, o + (qOffset &+ t &* D), d)
            AttentionRows.scoreGradient(weights + t &* S, dot, ds + t &* S, S)
        }
        if let dq {  // ∂Q += ∂S K / √d
            GEMM.multiply(transposeA: false, transposeB: false, m: T, n: d, k: S, alpha: scale,
                          a: ds, lda: S, b: k + kOffset, ldb: D, beta: dq.beta, c: dq.pointer + qOffset, ldc: D)
        }
        if let dk {  // ∂K += ∂Sᵀ Q / √d
            GEMM.multiply(transposeA: true, transposeB: false, m: S, n: d, k: T, alpha: scale,
                          a: ds, lda: S, b: q + qOffset, ldb: D, beta: dk.beta, c: dk.pointer + kOffset, ldc: D)
        }
    }
}

/// The row kernels of attention's softmax, 16 keys at a time.
enum AttentionRows {
    /// `row = softmax(row)` over the keys `s < allowed` with `mask[s] ≠ 0` (all keys when `mask`
    /// is nil); other keys get 0, and so does every key of a row with none allowed.
    @inline(__always)
    static func softmax(_ row: UnsafeMutablePointer<Float>, _ S: Int, allowed: Int, mask: UnsafePointer<Float>?) {
        // Masked keys are set to −∞ first, so they drop out of the max, and e^{−∞} is 0.
        var s = 0
        while s < S {
            let w = Swift.min(16, S &- s)
            let index = Vector.laneIndices &+ Vector.Bits(repeating: Int32(truncatingIfNeeded: s))
            var masked = index .>= Vector.Bits(repeating: Int32(truncatingIfNeeded: allowed))
            if let mask { masked .|= Vector.loadBlock(mask + s, w, padding: 0) .== 0 }
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
