/// Additive attention energies, fused (Bahdanau, Cho & Bengio 2015, §3.1 and appendix A.1.2):
///
///     e_bs = vᵀ tanh(q_b + k_bs)
///
/// where `q = W s_{t−1}` is the projected decoder state and `k = U h` the projected encoder
/// states (computed once per sentence). Fusing avoids materialising the broadcast sum, its
/// tanh and the product with `v` as three `[B, S, A]` op results; only `tanh` is kept.
///
/// Pullback, with `t_bs = tanh(q_b + k_bs)` and `d_bs = ∂e_bs · v ⊙ (1 − t_bs²)`:
/// `∂q_b = Σ_s d_bs`, `∂k_bs = d_bs`, `∂v = Σ_bs ∂e_bs t_bs`.
///
/// Both directions run 16 lanes at a time, split by batch entries over the `Parallel` pool.
/// `∂v` is summed per chunk of `AdditiveScoreRows.chunk` batch entries and the chunks are added
/// in order, so the thread count changes no bit.
extension Tensor {
    /// - Parameters:
    ///   - query: `q`, `[B, A]`.
    ///   - keys: `k`, `[B, S, A]`.
    ///   - vector: `v`, `[A]`.
    /// - Returns: `e`, `[B, S]` (unnormalised; mask and softmax them next).
    public static func additiveScores(query q: Tensor, keys k: Tensor, vector v: Tensor) -> Tensor {
        let batch = k.shape[0], length = k.shape[1], width = k.shape[2]
        precondition(k.rank == 3 && q.shape == [batch, width] && v.shape == [width],
                     "additiveScores: query \(q.shape), keys \(k.shape), vector \(v.shape)")
        let activations = Tensor(uninitializedShape: k.shape)  // t, kept for the pullback
        let out = Tensor(uninitializedShape: [batch, length])
        let grain = Swift.max(1, Parallel.transcendentalGrain / Swift.max(length &* width, 1))
        Parallel.forEachRange(batch, grain: grain, alignment: 1) { range in
            AdditiveScoreRows.forward(range, length: length, width: width, q: q.data, k: k.data, v: v.data,
                                      t: activations.data, e: out.data)
        }
        return Tape.record(.additiveScores, output: out, inputs: [q, k, v]) { gradient in
            AdditiveScoreRows.backward(batch: batch, length: length, width: width, g: gradient.data,
                                       t: activations.data, q: q, k: k, v: v)
        }
    }
}

/// The row kernels of `additiveScores`.
enum AdditiveScoreRows {
    typealias Lanes = Vector.Lanes

    /// Batch entries per partial sum of `∂v`.
    static let chunk = 4

    /// `t = tanh(q_b + k_bs)`, `e_bs = v · t` for the batch entries `batch`. Not inlined into
    /// its callers: in a small function of its own the vector `tanh` is inlined into the loop.
    @inline(never)
    static func forward(_ batch: Range<Int>, length: Int, width: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                        v: UnsafePointer<Float>, t: UnsafeMutablePointer<Float>, e: UnsafeMutablePointer<Float>) {
        for b in batch {
            let qb = q + b &* width
            for s in 0..<length {
                let row = b &* length &+ s
                let kr = k + row &* width, tr = t + row &* width
                var energy = Lanes()
                var a = 0
                while a &+ 16 <= width {
                    let th = Vector.tanh(Vector.load(qb + a) + Vector.load(kr + a))
                    Vector.store(th, tr + a)
                    energy = energy.addingProduct(Vector.load(v + a), th)
                    a &+= 16
                }
                if a < width {
                    let w = width &- a
                    let th = Vector.tanh(Vector.loadPartial(qb + a, w, padding: 0) + Vector.loadPartial(kr + a, w, padding: 0))
                    Vector.storePartial(th, tr + a, w)
                    energy = energy.addingProduct(Vector.loadPartial(v + a, w, padding: 0), th)  // padded v is 0
                }
                e[row] = Vector.laneSum(energy)
            }
        }
    }

    static func backward(batch: Int, length: Int, width: Int, g: UnsafePointer<Float>, t: UnsafePointer<Float>,
                         q: Tensor, k: Tensor, v: Tensor) {
        // Made here, on the calling thread, before any task runs.
        let dq = q.requiresGrad ? q.gradientBuffer() : nil
        let dk = k.requiresGrad ? k.gradientBuffer() : nil
        let chunks = Parallel.fixedChunks(batch, chunkSize: chunk)
        // Per chunk: Σ ∂e·t over its entries (width), then Σ_s d of the current entry (width).
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunks &* 2 &* width)
        defer { scratch.deallocate() }
        let grain = Swift.max(1, Parallel.elementGrain / Swift.max(length &* width, 1))
        Parallel.forEachFixedChunk(batch, chunkSize: chunk, grain: grain) { c, range in
            let sumT = scratch + c &* 2 &* width
            sumT.update(repeating: 0, count: width)
            backward(range, length: length, width: width, g: g, t: t, v: v.data, dq: dq, dk: dk,
                     sumT: sumT, sumQ: sumT + width)
        }
        guard v.requiresGrad else { return }
        let (dv, accumulate) = v.gradientBuffer()
        if !accumulate { dv.update(repeating: 0, count: width) }
        for c in 0..<chunks { Vector.add(dv, scratch + c &* 2 &* width, dv, width) }
    }

    /// The pullback of the batch entries `batch`: `∂k` (+)= `d`, `∂q_b` (+)= `Σ_s d`, and
    /// `sumT += Σ_s ∂e·t` (the chunk's share of `∂v`). Rows are walked in memory order, the
    /// per-entry sums kept in `sumQ`, so `t` and `∂k` stream through the cache.
    @inline(never)
    static func backward(_ batch: Range<Int>, length: Int, width: Int, g: UnsafePointer<Float>, t: UnsafePointer<Float>,
                         v: UnsafePointer<Float>, dq: (pointer: UnsafeMutablePointer<Float>, accumulate: Bool)?,
                         dk: (pointer: UnsafeMutablePointer<Float>, accumulate: Bool)?,
                         sumT: UnsafeMutablePointer<Float>, sumQ: UnsafeMutablePointer<Float>) {
        let whole = width & ~15, accumulateK = dk?.accumulate ?? false
        for b in batch {
            sumQ.update(repeating: 0, count: width)
            for s in 0..<length {
                let row = b &* length &+ s, offset = row &* width
                let ge = Lanes(repeating: g[row])
                let tr = t + offset, kr = dk.map { $0.pointer + offset }
                var a = 0
                while a < whole {
                    let tv = Vector.load(tr + a)
                    let d = (Vector.load(v + a) * ge) * (1 - tv * tv)  // d = ∂e · v ⊙ (1 − t²)
                    Vector.store(Vector.load(sumQ + a) + d, sumQ + a)
                    Vector.store(Vector.load(sumT + a).addingProduct(tv, ge), sumT + a)
                    if let kr { Vector.store(accumulateK ? Vector.load(kr + a) + d : d, kr + a) }
                    a &+= 16
                }
                if a < width {
                    let w = width &- a
                    let tv = Vector.loadPartial(tr + a, w, padding: 0)
                    let d = (Vector.loadPartial(v + a, w, padding: 0) * ge) * (1 - tv * tv)
                    Vector.storePartial(Vector.loadPartial(sumQ + a, w, padding: 0) + d, sumQ + a, w)
                    Vector.storePartial(Vector.loadPartial(sumT + a, w, padding: 0).addingProduct(tv, ge), sumT + a, w)
                    if let kr { Vector.storePartial(accumulateK ? Vector.loadPartial(kr + a, w, padding: 0) + d : d, kr + a, w) }
                }
            }
            if let dq {
                let p = dq.pointer + b &* width
                if dq.accumulate { Vector.add(p, sumQ, p, width) } else { p.update(from: sumQ, count: width) }
            }
        }
    }
}
