/// Additive attention energies, fused (Bahdanau, Cho & Bengio 2015, §3.1 and appendix A.1.2):
///
///     e_bs = vᵀ tanh(q_b + k_bs)
///
/// where `q = W s_{t−1}` is the projected decoder state and `k = U h` the projected encoder
/// states (computed once per sentence). Fusing avoids materialising the broadcast sum, its
/// tanh and the product with `v` as three `[B, S, A]` op results; only `tanh` is kept.
///
/// With coverage (Tu et al. 2016, "Modeling Coverage for Neural Machine Translation", §3.1;
/// See et al. 2017, "Get To The Point", eq. 11) the sum also holds `w c_bs`, with
/// `c_bs = Σ_{t' < t} α_{t'bs}` how much attention source position `s` has had so far and `w`
/// its projection: `e_bs = vᵀ tanh(q_b + k_bs + w c_bs)`.
///
/// Pullback, with `t_bs = tanh(q_b + k_bs [+ w c_bs])` and `d_bs = ∂e_bs · v ⊙ (1 − t_bs²)`:
/// `∂q_b = Σ_s d_bs`, `∂k_bs = d_bs`, `∂v = Σ_bs ∂e_bs t_bs`, and with coverage
/// `∂c_bs = wᵀ d_bs`, `∂w = Σ_bs c_bs d_bs`.
///
/// Both directions run 16 lanes at a time, split by batch entries over the `Parallel` pool.
/// `∂v` (and `∂w`) is summed per chunk of `AdditiveScoreRows.chunk` batch entries and the chunks are added
/// in order, so the thread count changes no bit.
extension Tensor {
    /// - Parameters:
    ///   - query: `q`, `[B, A]`.
    ///   - keys: `k`, `[B, S, A]`.
    ///   - vector: `v`, `[A]`.
    ///   - coverage: `c`, `[B, S]`, or `nil` for none.
    ///   - coverageWeights: `w`, `[A]`, with `coverage`.
    /// - Returns: `e`, `[B, S]` (unnormalised; mask and softmax them next).
    public static func additiveScores(query q: Tensor, keys k: Tensor, vector v: Tensor,
                                      coverage c: Tensor? = nil, coverageWeights w: Tensor? = nil) -> Tensor {
        let batch = k.shape[0], length = k.shape[1], width = k.shape[2]
        precondition(k.rank == 3 && q.shape == [batch, width] && v.shape == [width],
                     "additiveScores: query \(q.shape), keys \(k.shape), vector \(v.shape)")
        precondition((c == nil) == (w == nil) && (c.map { $0.shape == [batch, length] } ?? true) && (w.map { $0.shape == [width] } ?? true),
                     "additiveScores: coverage \(c?.shape ?? []), coverage weights \(w?.shape ?? [])")
        let activations = Tensor(uninitializedShape: k.shape)  // t, kept for the pullback
        let out = Tensor(uninitializedShape: [batch, length])
        let grain = Swift.max(1, Parallel.transcendentalGrain / Swift.max(length &* width, 1))
        Parallel.forEachRange(batch, grain: grain, alignment: 1) { range in
            AdditiveScoreRows.forward(range, length: length, width: width, q: q.data, k: k.data, v: v.data,
                                      c: c?.data, w: w?.data, t: activations.data, e: out.data)
        }
        return Tape.record(.additiveScores, output: out, inputs: [q, k, v] + [c, w].compactMap { $0 }) { gradient in
            AdditiveScoreRows.backward(batch: batch, length: length, width: width, g: gradient.data,
                                       t: activations.data, q: q, k: k, v: v, c: c, w: w)
        }
    }
}

/// The row kernels of `additiveScores`.
enum AdditiveScoreRows {
    typealias Lanes = Vector.Lanes

    /// Batch entries per partial sum of `∂v`.
    static let chunk = 4

    /// `t = tanh(q_b + k_bs [+ w c_bs])`, `e_bs = v · t` for the batch entries `batch`. Not
    /// inlined into its callers: in a small function of its own the vector `tanh` is inlined
    /// into the loop.
    @inline(never)
    static func forward(_ batch: Range<Int>, length: Int, width: Int, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                        v: UnsafePointer<Float>, c: UnsafePointer<Float>?, w: UnsafePointer<Float>?,
                        t: UnsafeMutablePointer<Float>, e: UnsafeMutablePointer<Float>) {
        for b in batch {
            let qb = q + b &* width
            for s in 0..<length {
                let row = b &* length &+ s
                let kr = k + row &* width, tr = t + row &* width
                let coverage = Lanes(repeating: c?[row] ?? 0)
                var energy = Lanes()
                var a = 0
                while a &+ 16 <= width {
                    var sum = Vector.load(qb + a) + Vector.load(kr + a)
                    if let w { sum = sum.addingProduct(Vector.load(w + a), coverage) }
                    let th = Vector.tanh(sum)
                    Vector.store(th, tr + a)
                    energy = energy.addingProduct(Vector.load(v + a), th)
                    a &+= 16
                }
                if a < width {
                    let n = width &- a
                    var sum = Vector.loadPartial(qb + a, n, padding: 0) + Vector.loadPartial(kr + a, n, padding: 0)
                    if let w { sum = sum.addingProduct(Vector.loadPartial(w + a, n, padding: 0), coverage) }
                    let th = Vector.tanh(sum)
                    Vector.storePartial(th, tr + a, n)
                    energy = energy.addingProduct(Vector.loadPartial(v + a, n, padding: 0), th)  // padded v is 0
                }
                e[row] = Vector.laneSum(energy)
            }
        }
    }

    static func backward(batch: Int, length: Int, width: Int, g: UnsafePointer<Float>, t: UnsafePointer<Float>,
                         q: Tensor, k: Tensor, v: Tensor, c: Tensor?, w: Tensor?) {
        // Made here, on the calling thread, before any task runs.
        let dq = q.requiresGrad ? q.gradientBuffer() : nil
        let dk = k.requiresGrad ? k.gradientBuffer() : nil
        let dc = c?.requiresGrad == true ? c?.gradientBuffer() : nil
        let chunks = Parallel.fixedChunks(batch, chunkSize: chunk)
        // Per chunk: Σ ∂e·t over its entries (width), Σ c·d (width, with coverage), then Σ_s d
        // of the current entry (width).
        let stride = (w == nil ? 2 : 3) &* width
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunks &* stride)
        defer { scratch.deallocate() }
        let grain = Swift.max(1, Parallel.elementGrain / Swift.max(length &* width, 1))
        Parallel.forEachFixedChunk(batch, chunkSize: chunk, grain: grain) { chunkIndex, range in
            let sums = scratch + chunkIndex &* stride
            sums.update(repeating: 0, count: stride &- width)
            let coverage = w.map { w in (c: UnsafePointer(c!.data), w: UnsafePointer(w.data), dc: dc, sumW: sums + width) }
            backward(range, length: length, width: width, g: g, t: t, v: v.data, dq: dq, dk: dk,
                     coverage: coverage, sumT: sums, sumQ: sums + (stride &- width))
        }
        if v.requiresGrad { addChunkSums(into: v, scratch, offset: 0, stride: stride, chunks: chunks, width: width) }
        if let w, w.requiresGrad { addChunkSums(into: w, scratch, offset: width, stride: stride, chunks: chunks, width: width) }
    }

    /// `∂p (+)= Σ_chunks sums`, the chunks added in order.
    private static func addChunkSums(into p: Tensor, _ scratch: UnsafePointer<Float>, offset: Int, stride: Int, chunks: Int, width: Int) {
        let (dp, accumulate) = p.gradientBuffer()
        if !accumulate { dp.update(repeating: 0, count: width) }
        for chunkIndex in 0..<chunks { Vector.add(dp, scratch + (chunkIndex &* stride &+ offset), dp, width) }
    }

    typealias GradientBuffer = (pointer: UnsafeMutablePointer<Float>, accumulate: Bool)

    /// The pullback of the batch entries `batch`: `∂k` (+)= `d`, `∂q_b` (+)= `Σ_s d`,
    /// `sumT += Σ_s ∂e·t` (the chunk's share of `∂v`), and with coverage `∂c_bs` (+)= `w · d`,
    /// `sumW += Σ_s c_bs d` (the chunk's share of `∂w`). Rows are walked in memory order, the
    /// per-entry sums kept in `sumQ`, so `t` and `∂k` stream through the cache.
    @inline(never)
    static func backward(_ batch: Range<Int>, length: Int, width: Int, g: UnsafePointer<Float>, t: UnsafePointer<Float>,
                         v: UnsafePointer<Float>, dq: GradientBuffer?, dk: GradientBuffer?,
                         coverage: (c: UnsafePointer<Float>, w: UnsafePointer<Float>, dc: GradientBuffer?, sumW: UnsafeMutablePointer<Float>)?,
                         sumT: UnsafeMutablePointer<Float>, sumQ: UnsafeMutablePointer<Float>) {
        let accumulateK = dk?.accumulate ?? false
        for b in batch {
            sumQ.update(repeating: 0, count: width)
            for s in 0..<length {
                let row = b &* length &+ s, offset = row &* width
                let ge = Lanes(repeating: g[row])
                let cr = Lanes(repeating: coverage?.c[row] ?? 0)
                var dcr = Lanes()
                let tr = t + offset, kr = dk.map { $0.pointer + offset }
                var a = 0
                while a < width {
                    let n = Swift.min(16, width &- a)
                    let tv = Vector.loadBlock(tr + a, n, padding: 0)
                    let d = (Vector.loadBlock(v + a, n, padding: 0) * ge) * (1 - tv * tv)  // d = ∂e · v ⊙ (1 − t²), 0 in padding
                    Vector.storeBlock(Vector.loadBlock(sumQ + a, n, padding: 0) + d, sumQ + a, n)
                    Vector.storeBlock(Vector.loadBlock(sumT + a, n, padding: 0).addingProduct(tv, ge), sumT + a, n)
                    if let kr { Vector.storeBlock(accumulateK ? Vector.loadBlock(kr + a, n, padding: 0) + d : d, kr + a, n) }
                    if let coverage {
                        dcr = dcr.addingProduct(Vector.loadBlock(coverage.w + a, n, padding: 0), d)
                        Vector.storeBlock(Vector.loadBlock(coverage.sumW + a, n, padding: 0).addingProduct(d, cr), coverage.sumW + a, n)
                    }
                    a &+= 16
                }
                if let dc = coverage?.dc {
                    let value = Vector.laneSum(dcr)
                    dc.pointer[row] = dc.accumulate ? dc.pointer[row] + value : value
                }
            }
            if let dq {
                let p = dq.pointer + b &* width
                if dq.accumulate { Vector.add(p, sumQ, p, width) } else { p.update(from: sumQ, count: width) }
            }
        }
    }
}
