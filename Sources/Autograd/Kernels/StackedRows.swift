import CKernels

/// A matrix whose rows lie in pieces, one after another, all with the same row stride: the
/// steps of a recurrent layer (`[B, width]` each) read as one `[T·B, width]` matrix without
/// being copied together. `DeferredWeightGradients` sums a weight's gradient over the steps as
/// one product, `∂W = Σ_t X_tᵀ ∂Y_t = Xᵀ ∂Y`, whose depth is these rows.
public struct StackedRows {
    public let pieces: [(base: UnsafePointer<Float>, rows: Int)]
    /// Elements from one row to the next within a piece.
    public let ld: Int
    public let rows: Int

    public init(pieces: [(base: UnsafePointer<Float>, rows: Int)], ld: Int) {
        (self.pieces, self.ld) = (pieces, ld)
        rows = pieces.reduce(0) { $0 + $1.rows }
    }

    /// Whether no depth pair of the bf16 layout straddles two pieces: every piece but the last
    /// has an even number of rows (depth blocks start on even rows).
    public var pairsAligned: Bool { pieces.dropLast().allSatisfy { $0.rows % 2 == 0 } }

    /// The rows one after another in one buffer: the only piece where there is one (`kept` is
    /// then `nil`), else a copy that lives as long as `kept`, the pieces shared between the
    /// pool's threads (a float32 GRU step's deferred gradients copy 20 pieces of 64 rows per weight).
    func contiguous() -> (rows: UnsafePointer<Float>, kept: Storage?) {
        if pieces.count == 1 { return (pieces[0].base, nil) }
        let copy = Storage(count: Swift.max(rows &* ld, 1))
        var starts = [Int](), row = 0
        for piece in pieces {
            starts.append(row)
            row &+= piece.rows
        }
        let pointer = copy.pointer, pieceSize = Swift.max(rows / pieces.count &* ld, 1)
        Parallel.forEachRange(pieces.count, grain: Swift.max(1, Parallel.elementGrain / pieceSize), alignment: 1) { range in
            for index in range {
                (pointer + starts[index] &* ld).update(from: pieces[index].base, count: pieces[index].rows &* ld)
            }
        }
        return (UnsafePointer(copy.pointer), copy)
    }

    /// Calls `body(first, offset, count)` for each run of the rows `range` that lies in one piece:
    /// `first` points at the run's first row, `offset` counts from `range.lowerBound`.
    func forEachRun(in range: Range<Int>, _ body: (_ first: UnsafePointer<Float>, _ offset: Int, _ count: Int) -> Void) {
        var start = 0
        for piece in pieces {
            let low = max(range.lowerBound, start), high = min(range.upperBound, start &+ piece.rows)
            if low < high { body(piece.base + (low &- start) &* ld, low &- range.lowerBound, high &- low) }
            start &+= piece.rows
            if start >= range.upperBound { return }
        }
    }

    /// Pairs a run packs into a depth block of `depth` rows padded to `pairs`: its own, and the
    /// block's padding too when it is the block's last run.
    static func pairs(ofRunAt offset: Int, count: Int, depth: Int, blockPairs pairs: Int) -> Int {
        offset &+ count == depth ? pairs &- offset / 2 : count / 2
    }
}

extension GEMM {
    /// Whether `multiply(stackedA:stackedB:…)` can read these pieces where they lie: a bf16 path
    /// (its packing reads any rows), pieces that keep depth pairs whole.
    public static func readsPieces(_ a: StackedRows, _ b: StackedRows) -> Bool {
        path.isBF16 && a.rows == b.rows && a.pairsAligned && b.pairsAligned
    }

    /// `C = Aᵀ·B + beta · C` for `A` `[k, m]` and `B` `[k, n]` stored as pieces of their `k`
    /// rows. Where `readsPieces` holds, both operands are packed straight from the pieces, so the
    /// product reads each row once; one piece each is multiplied as it lies; otherwise (the
    /// float32 kernels, pieces that would split a pair) the pieces are copied together first.
    public static func multiply(stackedA a: StackedRows, stackedB b: StackedRows, m: Int, n: Int, beta: Float,
                                c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(a.rows == b.rows, "GEMM.multiply(stackedA:): \(a.rows) rows of A, \(b.rows) of B")
        let timing = ProductTimes.Timing.start(m: m, n: n, k: a.rows, transposeA: true, transposeB: false, packedB: false)
        defer { timing?.stop() }
        guard a.pieces.count > 1 || b.pieces.count > 1, readsPieces(a, b) else {
            let (x, keptX) = a.contiguous(), (y, keptY) = b.contiguous()
            withExtendedLifetime((keptX, keptY)) {
                multiply(transposeA: true, transposeB: false, m: m, n: n, k: a.rows, a: x, lda: a.ld, b: y, ldb: b.ld,
                         beta: beta, c: c, ldc: ldc)
            }
            return
        }
        guard m > 0, n > 0 else { return }
        let k = a.rows
        guard k > 0 else {
            scale(m: m, n: n, by: beta, c: c, ldc: ldc)
            return
        }
        let path = GEMM.path
        let count = BF16PackedMatrix.wordCount(k: k, n: n, pairAlignment: BF16Tile.pairAlignment(path))
        let packed = packBF16B(path: path, k: k, n: n, into: GEMMWorkspace.current.packedWordsB(count: count)) { packed, panels in
            packed.pack(stacked: b, panels: panels)
        }
        multiplyBF16(path: path, transposeA: true, m: m, n: n, k: k, alpha: 1, a: a.pieces[0].base, lda: a.ld,
                     b: packed, beta: beta, c: c, ldc: ldc, stackedA: a)
    }

    /// Packs `op(A)` rows `rows` (`A` stored transposed, as pieces of its depth) over depth
    /// `depth` from `start`, as `packBF16A` packs a stored matrix.
    static func packBF16A(stacked a: StackedRows, rows: Range<Int>, start: Int, depth: Int, pairs: Int, paddedRows: Int,
                          into target: UnsafeMutablePointer<UInt32>) {
        a.forEachRun(in: start ..< start &+ depth) { first, offset, count in
            let runPairs = StackedRows.pairs(ofRunAt: offset, count: count, depth: depth, blockPairs: pairs)
            attend_bf16_pack_a_transposed(first + rows.lowerBound, a.ld, rows.count, count, runPairs, paddedRows, pairs,
                                          target + offset / 2)
        }
    }
}

extension BF16PackedMatrix {
    /// Packs panels `panels` of every depth block from a `B` stored as pieces of its rows.
    func pack(stacked b: StackedRows, panels range: Range<Int>) {
        forEachPanel(range) { start, depth, pairs, column, columns, target in
            b.forEachRun(in: start ..< start &+ depth) { first, offset, count in
                let runPairs = StackedRows.pairs(ofRunAt: offset, count: count, depth: depth, blockPairs: pairs)
                attend_bf16_pack_b_plain(first + column, b.ld, count, columns, runPairs, target + offset / 2 &* 32)
            }
        }
    }
}
