import CKernels

/// The bf16 paths of `GEMM.multiply`: `C = alpha · op(A) · op(B) + beta · C` with both operands
/// rounded to bf16 and the products summed in float32.
///
/// All of `op(B)` is packed first (`BF16PackedMatrix`, shared by the threads and split between
/// them), or comes packed from `PackedWeights`. Then each thread takes a band of `C` and, per
/// depth block and per block of `bf16BlockRows` rows, packs its `A` rows and runs the tile
/// kernel over its columns: an `8 × 32` register tile with AVX512-BF16, a `32 × 32` block of
/// four AMX tiles (on the AMX path, for products that reach `amxMinimumExtent` in every extent;
/// smaller ones run on the AVX512-BF16 tile, reading the same packed operands).
extension GEMM {
    /// The tile of one bf16 product: the path's packing and the kernel chosen for the shape.
    struct BF16Tile {
        /// Which kernel runs: `.amx` (32 × 32 blocks of four AMX tiles) or `.avx512bf16`.
        let kernel: MatrixPath
        /// Pairs of depth are padded to a multiple of this in both packed operands.
        let pairAlignment: Int
        var rows: Int { kernel == .amx ? Int(ATTEND_AMX_BLOCK) : Int(ATTEND_BF16_TILE_ROWS) }
        static let columns = 32

        init(path: MatrixPath, m: Int, n: Int, k: Int) {
            kernel = GEMM.bf16Kernel(path: path, m: m, n: n, k: k)
            pairAlignment = Self.pairAlignment(path)
        }

        /// AMX reads depth 32 at a time (16 pairs), so the AMX path pads every packed operand
        /// to it, whichever kernel then reads it (padding pairs are zeros in both operands); the
        /// AVX512-BF16 path reads one pair at a time.
        static func pairAlignment(_ path: MatrixPath) -> Int { path == .amx ? 16 : 1 }
    }

    /// The smallest `m`, `n` and `k` an AMX-path product must all reach to run on the AMX tiles;
    /// smaller ones run on the AVX512-BF16 tile. An AMX block is 32 × 32 over depth 32: a
    /// product short of that in any extent computes mostly padding (a 20 × 20 × 64 attention head
    /// fills 39% of its block), and an edge block goes through a scratch block, where the
    /// AVX512-BF16 tile masks its stores. A first estimate, for `attend bench gemm` on an AMX
    /// machine to settle; tests set it to 1 to run every shape on the (emulated) AMX tiles.
    nonisolated(unsafe) public static var amxMinimumExtent = 32

    /// The kernel a bf16 product of this shape runs on, on `path`: the path's own, except that
    /// on the AMX path products below `amxMinimumExtent` take the AVX512-BF16 tile (which every
    /// AMX CPU also has).
    public static func bf16Kernel(path: MatrixPath, m: Int, n: Int, k: Int) -> MatrixPath {
        guard path == .amx, min(m, n, k) < amxMinimumExtent, MatrixPath.avx512bf16.isAvailable else { return path }
        return .avx512bf16
    }

    /// The AMX block kernel and its per-thread set-up. Tests swap in an emulation of
    /// `tdpbf16ps` to run the AMX path's packing, blocking and threading on CPUs without AMX.
    public struct AMXKernel {
        public typealias Block = @convention(c) (Int, UnsafePointer<UInt32>?, Int, UnsafePointer<UInt32>?,
                                                 UnsafeMutablePointer<Float>?, Int, Float, Float,
                                                 UnsafeMutablePointer<Float>?) -> Void
        public var configure: @convention(c) () -> Void
        /// `attend_bf16_block_amx`'s contract (CKernels.h).
        public var block: Block

        public init(configure: @convention(c) @escaping () -> Void, block: @escaping Block) {
            self.configure = configure
            self.block = block
        }

        /// The real instructions.
        public static let hardware = AMXKernel(configure: attend_amx_configure, block: attend_bf16_block_amx)
    }

    nonisolated(unsafe) public static var amxKernel = AMXKernel.hardware

    /// Packs `op(B)` for `path` into the calling thread's workspace, splitting the panels between
    /// the pool's threads when it is large enough to be worth it.
    static func packBF16B(path: MatrixPath, transposeB: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int,
                          into buffer: UnsafeMutablePointer<UInt32>) -> BF16PackedMatrix {
        packBF16B(path: path, k: k, n: n, into: buffer) { packed, panels in
            packed.pack(transposed: transposeB, b: b, ldb: ldb, panels: panels)
        }
    }

    /// The same for any source: `pack(packed, panels)` packs a range of panels.
    static func packBF16B(path: MatrixPath, k: Int, n: Int, into buffer: UnsafeMutablePointer<UInt32>,
                          _ pack: (BF16PackedMatrix, Range<Int>) -> Void) -> BF16PackedMatrix {
        let packed = BF16PackedMatrix(words: buffer, k: k, n: n, pairAlignment: BF16Tile.pairAlignment(path))
        forEachPanelRange(packed.panels, elements: k &* n) { pack(packed, $0) }
        return packed
    }

    /// Runs `body` over consecutive ranges of `panels` 32-column panels of an `op(B)` being packed
    /// whole, one range per thread of the pool when its `elements` are many enough to pay.
    static func forEachPanelRange(_ panels: Int, elements: Int, _ body: (Range<Int>) -> Void) {
        let parts = elements >= 1 << 16 ? min(Parallel.threadCount, panels) : 1
        Parallel.run(tasks: parts) { part in body(panels * part / parts ..< panels * (part + 1) / parts) }
    }

    static func multiplyBF16(
        path: MatrixPath, transposeA: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: BF16PackedMatrix,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil, relu: Bool = false,
        stackedA: StackedRows? = nil
    ) {
        let tile = BF16Tile(path: path, m: m, n: n, k: k)
        precondition((bias == nil && !relu) || tile.kernel == .avx512bf16,
                     "multiplyBF16: only the AVX512-BF16 tile adds a bias or rectifies")
        var product = BF16Product(tile: tile, transposeA: transposeA, m: m, n: n, k: k,
                                  alpha: alpha, a: a, lda: lda, b: b, beta: beta, c: c, ldc: ldc)
        product.bias = bias
        product.relu = relu
        product.stackedA = stackedA
        let threads = Parallel.threadCount
        if threads > 1, m &* n &* k >= parallelThreshold, let parts = product.split(threads: threads) {
            Parallel.run(tasks: parts.count) { parts[$0].compute() }
        } else {
            product.compute()
        }
    }
}

/// A band of one bf16 product: rows `rows` and columns `columns` of `C`.
private struct BF16Product {
    let tile: GEMM.BF16Tile
    let transposeA: Bool
    let m: Int, n: Int, k: Int
    let alpha: Float
    let a: UnsafePointer<Float>, lda: Int
    let b: BF16PackedMatrix
    let beta: Float
    let c: UnsafeMutablePointer<Float>, ldc: Int
    /// Added to every row of `C` by the first depth block's tiles (AVX512-BF16 only), or `nil`.
    var bias: UnsafePointer<Float>? = nil
    /// Whether the last depth block's tiles store `max(C, 0)` (AVX512-BF16 only).
    var relu = false
    /// `A` (stored transposed) as pieces of its depth, packed from where they lie; `a` is unused.
    var stackedA: StackedRows? = nil
    var rows: Range<Int> = 0..<0
    var columns: Range<Int> = 0..<0

    init(tile: GEMM.BF16Tile, transposeA: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>,
         lda: Int, b: BF16PackedMatrix, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        (self.tile, self.transposeA, self.m, self.n, self.k, self.alpha) = (tile, transposeA, m, n, k, alpha)
        (self.a, self.lda, self.b, self.beta, self.c, self.ldc) = (a, lda, b, beta, c, ldc)
        rows = 0..<m
        columns = 0..<n
    }

    /// One band per thread, cut on tile boundaries, or `nil` when there is not a tile per thread.
    /// `B` is packed once for all, so a column split repeats the packing of `A` in every band
    /// while a row split packs each row once: rows are cut whenever each band gets 32 or more
    /// (a 64-row recurrent step's products ran 3–7% faster alone, its training step 4% faster,
    /// than cut by columns), else the dimension with more tiles.
    func split(threads: Int) -> [BF16Product]? {
        let rowTiles = (m &+ tile.rows &- 1) / tile.rows
        let columnTiles = (n &+ 31) / 32
        let byColumns = columnTiles >= rowTiles && m < 32 * threads
        let tiles = byColumns ? columnTiles : rowTiles
        guard tiles >= threads else { return nil }
        let size = byColumns ? 32 : tile.rows, extent = byColumns ? n : m
        return (0..<threads).map { part in
            let range = min(extent, tiles * part / threads * size) ..< min(extent, tiles * (part + 1) / threads * size)
            var band = self
            if byColumns { band.columns = range } else { band.rows = range }
            return band
        }
    }

    func compute() {
        let workspace = GEMMWorkspace.current
        if tile.kernel == .amx { GEMM.amxKernel.configure() }
        let mr = tile.rows, mc = GEMM.bf16BlockRows
        let fullPairs = GEMM.bf16BlockDepth / 2
        let packedA = workspace.packedWordsA(count: (min(rows.count, mc) &+ mr &- 1) / mr &* mr &* fullPairs)
        for block in 0..<b.depthBlocks {
            let start = block &* GEMM.bf16BlockDepth
            let depth = min(GEMM.bf16BlockDepth, k &- start)
            let pairs = b.pairs(ofBlock: block)
            // Later depth blocks add to what the earlier ones wrote.
            let blockBeta = block == 0 ? beta : 1
            var ic = rows.lowerBound
            while ic < rows.upperBound {
                let blockRows = min(mc, rows.upperBound &- ic)
                let paddedRows = (blockRows &+ mr &- 1) / mr &* mr
                if let stackedA {
                    GEMM.packBF16A(stacked: stackedA, rows: ic ..< ic &+ blockRows, start: start, depth: depth, pairs: pairs,
                                   paddedRows: paddedRows, into: packedA)
                } else {
                    GEMM.packBF16A(transposed: transposeA, a: a + (transposeA ? start &* lda &+ ic : ic &* lda &+ start),
                                   lda: lda, rows: blockRows, depth: depth, pairs: pairs, paddedRows: paddedRows,
                                   into: packedA)
                }
                var jc = columns.lowerBound
                while jc < columns.upperBound {
                    let sweepColumns = min(GEMM.bf16BlockColumns, columns.upperBound &- jc)
                    for ir in stride(from: 0, to: blockRows, by: mr) {
                        for jr in stride(from: jc, to: jc &+ sweepColumns, by: 32) {
                            kernel(pairs: pairs, a: packedA + ir &* pairs, b: b.panel(block: block, column: jr),
                                   rows: min(mr, blockRows &- ir), columns: min(32, columns.upperBound &- jr),
                                   c: c + ((ic &+ ir) &* ldc &+ jr), beta: blockBeta,
                                   bias: block == 0 ? bias.map { $0 + jr } : nil, relu: relu && block == b.depthBlocks - 1,
                                   workspace: workspace)
                        }
                    }
                    jc &+= sweepColumns
                }
                ic &+= blockRows
            }
        }
    }

    /// One tile of `C`: the AVX512-BF16 kernel writes an edge tile's live part with masked
    /// stores; an AMX block that is not whole goes through the workspace's scratch block.
    @inline(__always)
    private func kernel(pairs: Int, a: UnsafePointer<UInt32>, b: UnsafePointer<UInt32>, rows: Int, columns: Int,
                        c: UnsafeMutablePointer<Float>, beta: Float, bias: UnsafePointer<Float>?, relu: Bool,
                        workspace: GEMMWorkspace) {
        guard tile.kernel == .amx else {
            attend_bf16_tile_avx512(pairs, a, pairs, b, c, ldc, alpha, beta, rows, columns, bias, relu ? 1 : 0)
            return
        }
        let whole = rows == tile.rows && columns == 32
        let target = whole ? c : workspace.bf16Scratch
        let (ldt, alphaT, betaT) = whole ? (ldc, alpha, beta) : (32, 1, 0)
        GEMM.amxKernel.block(pairs / 16, a, pairs, b, target, ldt, alphaT, betaT, workspace.amxScratch)
        guard !whole else { return }
        GEMM.mergeTile(target, stride: 32, rows: rows, columns: columns, into: c, ldc: ldc, alpha: alpha, beta: beta)
    }
}
