/// Static splits of element-wise and row-wise work over the `Parallel` pool.
///
/// A piece's boundaries depend only on the problem's size and `threadCount`, never on timing,
/// and every kernel that splits this way computes each output element inside one piece with
/// the same instructions wherever a boundary falls (element-wise maps; a row or a column reduced
/// whole by one piece). Results are therefore the same to the bit on 1 and 2 threads.
/// Reductions that must cut one sum into pieces use `fixedChunks`, whose count does not depend
/// on the thread count either, and add the partial results in chunk order.
extension Parallel {
    /// Elements of a streaming element-wise kernel (an add: ~0.07 ns per element) below which
    /// the work stays on the calling thread. Measured on the 2-core VM with the worker spinning:
    /// an add of 2¹⁶ elements takes 4.6 µs on one thread and 3.5 µs split in two (a `run` costs
    /// ~1 µs), 2¹⁸ elements 34 µs and 21 µs; at 2¹⁵ the split no longer pays.
    static let elementGrain = 1 << 15
    /// The same for kernels that spend ~5–10× more per element (`tanh`, `exp`, a softmax row).
    static let transcendentalGrain = 1 << 13

    /// How many pieces `count` units of work split into: 1 below `2 · grain` or with one
    /// thread, else one per thread (more pieces cost more than they balance: each claim and
    /// completion moves a shared cache line between the cores).
    static func pieces(_ count: Int, grain: Int) -> Int {
        let threads = threadCount
        guard threads > 1, count >= 2 &* grain else { return 1 }
        return Swift.min(count / grain, threads)
    }

    /// Runs `body(range)` over consecutive pieces covering `0..<count`, each boundary a multiple
    /// of `alignment` (16 for SIMD blocks: only the last piece has a partial block), on the
    /// pool when `count ≥ 2 · grain`, else once on the calling thread with the whole range.
    static func forEachRange(_ count: Int, grain: Int, alignment: Int = 16, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let blocks = (count &+ alignment &- 1) / alignment
        let pieces = Swift.min(self.pieces(count, grain: grain), blocks)
        guard pieces > 1 else {
            body(0..<count)
            return
        }
        run(tasks: pieces) { piece in
            let lower = blocks &* piece / pieces &* alignment
            let upper = Swift.min(blocks &* (piece &+ 1) / pieces &* alignment, count)
            if lower < upper { body(lower..<upper) }
        }
    }

    /// Runs `body(chunk, range)` for chunks of `0..<count`, each `chunkSize` long but the last,
    /// on the pool when the work is large enough. The chunks do not depend on the thread count,
    /// so per-chunk partial results, summed in chunk order, give the same bits on any pool.
    static func forEachFixedChunk(_ count: Int, chunkSize: Int, grain: Int, _ body: (Int, Range<Int>) -> Void) {
        let chunks = fixedChunks(count, chunkSize: chunkSize)
        if chunks > 1 && pieces(count, grain: grain) > 1 {
            run(tasks: chunks) { chunk in body(chunk, chunk &* chunkSize ..< Swift.min(count, (chunk &+ 1) &* chunkSize)) }
        } else {
            for chunk in 0..<chunks { body(chunk, chunk &* chunkSize ..< Swift.min(count, (chunk &+ 1) &* chunkSize)) }
        }
    }

    /// The number of `chunkSize` chunks covering `count`.
    static func fixedChunks(_ count: Int, chunkSize: Int) -> Int { (count &+ chunkSize &- 1) / chunkSize }
}
