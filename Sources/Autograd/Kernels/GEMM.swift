import Foundation

/// Single-precision general matrix multiply, row-major:
/// `C = alpha · op(A) · op(B) + beta · C`, with `op(X)` = `X` or `Xᵀ`.
///
/// `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is `[m, n]`. Leading dimensions are the
/// row strides of the matrices *as stored* (for a transposed `A`, stored `[k, m]`, `lda ≥ m`).
///
/// `multiply` follows the BLIS/Goto scheme. With `op(B)` cut into `kc × nc` blocks and
/// `op(A)` into `mc × kc` blocks,
///
///     C[ic.., jc..] = alpha · Σ_pc op(A)[ic.., pc..] · op(B)[pc.., jc..] + beta · C[ic.., jc..]
///
/// each block is packed into contiguous zero-padded micro-panels (`GEMMPacking.swift`; `A`'s
/// whole 8-row tiles are read where they lie, in either orientation), and
/// every `8 × 32` tile of the product is accumulated in registers by the FMA micro-kernel
/// (`GEMMMicroKernel.swift`); `beta` applies to the first depth block only, later ones add.
/// Thin products (`m` or `n` ≤ 4) skip packing (`GEMMSmall.swift`). Products of at least
/// `parallelThreshold` multiply-adds are split into one band of `C` per thread of the
/// `Parallel` pool.
public enum GEMM {
    /// Depth of a packed block: an L1-resident `B` micro-panel is `kc · 32 · 4` bytes (32 KiB).
    static let blockDepth = 256
    /// Rows of a packed `A` block: `mc · kc · 4` bytes (256 KiB) stays in L2.
    static let blockRows = 256
    /// Columns of a packed `B` block: `kc · nc · 4` bytes (1 MiB) stays in L2.
    static let blockColumns = 1024
    /// Below this many multiply-adds (`m · n · k`) a product runs on the calling thread.
    ///
    /// Handing a band to the spinning worker costs well under a microsecond, but each band
    /// packs its own copy of one operand: measured, 64×64×64 (3.5 µs) ran slower on two
    /// threads and 64×128×64 faster.
    static let parallelThreshold = 1 << 19
    /// The kernels every product runs on (`MatrixPath.resolve` picks one for a requested
    /// precision); float32 unless set. Set it between products, not during one.
    nonisolated(unsafe) public static var path = MatrixPath.fp32
    /// Whether thin products may take the unpacked kernels (`GEMMSmall.swift`); tests turn it
    /// off to run the same shapes through the packed path.
    nonisolated(unsafe) public static var allowsUnpacked = true

    /// `C = alpha · op(A) · op(B) + beta · C` for any `m, n, k ≥ 0`.
    ///
    /// With `beta == 0` the old contents of `C` are never read (they may be NaN); with `k == 0`
    /// or `alpha == 0`, `C = beta · C`. Only the `m × n` entries of `C` are written, never the
    /// padding past `n` in each row. Safe to call from several threads at once on disjoint `C`s.
    /// A `bias` (`n` values, with `beta == 0`) is added to every row: `C = alpha · op(A) · op(B) + bias`;
    /// with `relu`, `C = max(alpha · op(A) · op(B) + bias, 0)`.
    public static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil, relu: Bool = false
    ) {
        guard m > 0, n > 0 else { return }
        let timing = ProductTimes.Timing.start(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, packedB: false)
        defer { timing?.stop() }
        let epilogue = Epilogue(bias: bias, relu: relu, m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc)
        defer { epilogue.finish() }
        let beta = epilogue.beta
        guard k > 0, alpha != 0 else {
            scale(m: m, n: n, by: beta, c: c, ldc: ldc)
            return
        }
        let path = GEMM.path
        if GEMM.allowsUnpacked, multiplyUnpacked(
            m: m, n: n, k: k, alpha: alpha,
            x: Operand(base: a, rowStride: transposeA ? 1 : lda, columnStride: transposeA ? lda : 1),
            y: Operand(base: b, rowStride: transposeB ? 1 : ldb, columnStride: transposeB ? ldb : 1),
            beta: beta, c: Result(base: c, rowStride: ldc, columnStride: 1), roundingToBF16: path.isBF16) {
            return
        }
        if path.isBF16 {
            let count = BF16PackedMatrix.wordCount(k: k, n: n, pairAlignment: BF16Tile.pairAlignment(path))
            let packed = packBF16B(path: path, transposeB: transposeB, k: k, n: n, b: b, ldb: ldb,
                                   into: GEMMWorkspace.current.packedWordsB(count: count))
            multiplyBF16(path: path, transposeA: transposeA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                         b: packed, beta: beta, c: c, ldc: ldc, bias: epilogue.bias, relu: epilogue.relu)
            return
        }
        var product = Product(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                              a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        (product.bias, product.relu) = (epilogue.bias, epilogue.relu)
        run(product)
    }

    /// Where a product's bias and ReLU are applied: by the float32 or AVX512-BF16 tile as it stores
    /// (packed products of more than 4 rows and columns), or around any other kernel, the bias written
    /// into each row of `C` first (the product then adds to it, β = 1) and the ReLU over `C`
    /// after (`finish()`). `beta` must be 0 with a bias.
    struct Epilogue {
        /// What the kernel gets: its β, the bias it adds, whether it rectifies.
        let beta: Float, bias: UnsafePointer<Float>?, relu: Bool
        private let rectifiesAfter: Bool
        private let m: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int

        init(bias: UnsafePointer<Float>?, relu: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
             c: UnsafeMutablePointer<Float>, ldc: Int) {
            precondition(bias == nil || beta == 0, "GEMM.multiply: a bias needs beta = 0")
            let tile = GEMM.tileFinishes(m: m, n: n, k: k, alpha: alpha)
            (self.m, self.n, self.c, self.ldc) = (m, n, c, ldc)
            (self.relu, rectifiesAfter) = (relu && tile, relu && !tile)
            guard let bias, !tile else {
                (self.beta, self.bias) = (beta, bias)
                return
            }
            let row = Vector.Operand.row(bias)
            if ldc == n {
                Vector.map(Lane.Pass.self, rows: m, n: n, row, row, row, into: c, accumulate: false)
            } else {
                for i in 0..<m { (c + i &* ldc).update(from: bias, count: n) }
            }
            (self.beta, self.bias) = (1, nil)
        }

        /// The ReLU the kernel did not apply.
        func finish() { if rectifiesAfter { GEMM.rectify(m: m, n: n, c: c, ldc: ldc) } }
    }

    /// Whether the tile's stores finish the product (adding the bias, rectifying): packed products
    /// of more than 4 rows and columns that run on the float32 or the AVX512-BF16 tile (not AMX).
    static func tileFinishes(m: Int, n: Int, k: Int, alpha: Float) -> Bool {
        bf16Kernel(path: path, m: m, n: n, k: k) != .amx && min(m, n) > 4 && k > 0 && alpha != 0
    }

    /// `C = max(C, 0)` over the `m × n` entries: the ReLU of a product the tile did not finish.
    static func rectify(m: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        Parallel.forEachRange(m, grain: Swift.max(1, Parallel.elementGrain / Swift.max(n, 1)), alignment: 1) { rows in
            for i in rows { Vector.relu(c + i &* ldc, c + i &* ldc, n) }
        }
    }

    /// The float32 product with `op(B)` packed beforehand.
    static func multiplyFP32(transposeA: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             prepackedB: FP32PackedMatrix, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                             bias: UnsafePointer<Float>? = nil, relu: Bool = false) {
        var product = Product(transposeA: transposeA, transposeB: false, m: m, n: n, k: k, alpha: alpha,
                              a: a, lda: lda, b: prepackedB.floats, ldb: n, beta: beta, c: c, ldc: ldc)
        product.prepackedB = prepackedB
        (product.bias, product.relu) = (bias, relu)
        run(product)
    }

    /// Runs a product on the calling thread, or split between the pool's threads when it is large.
    private static func run(_ product: Product) {
        let (m, n, k) = (product.m, product.n, product.k)
        let threads = Parallel.threadCount
        if threads > 1, m &* n &* k >= parallelThreshold, let parts = product.split(threads: threads) {
            Parallel.run(tasks: parts.count) { index in parts[index].compute() }
        } else {
            product.compute()
        }
    }

    /// The reference triple loop the fast kernel is tested against (Float64 accumulation).
    public static func naive(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let previous = beta == 0 ? 0 : beta * c[i * ldc + j]
                c[i * ldc + j] = alpha * Float(sum) + previous
            }
        }
    }

    /// `C = beta · C` (the whole product when `k == 0` or `alpha == 0`); `beta == 0` writes zeros.
    static func scale(m: Int, n: Int, by beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard beta != 1 else { return }
        for i in 0..<m {
            let row = c + i &* ldc
            if beta == 0 {
                row.update(repeating: 0, count: n)
            } else {
                for j in 0..<n { row[j] *= beta }
            }
        }
    }
}

/// One call's operands: `C = alpha · op(A) · op(B) + beta · C`, or a band of it.
private struct Product {
    let transposeA: Bool, transposeB: Bool
    let m: Int, n: Int, k: Int
    let alpha: Float
    let a: UnsafePointer<Float>, lda: Int
    let b: UnsafePointer<Float>, ldb: Int
    let beta: Float
    let c: UnsafeMutablePointer<Float>, ldc: Int

    /// `op(B)` packed beforehand (`PackedMatrix`), or `nil` to pack it block by block.
    var prepackedB: FP32PackedMatrix? = nil
    /// Added to every row of `C` by the first depth block's tiles (`beta` is then 0), or `nil`.
    var bias: UnsafePointer<Float>? = nil
    /// Whether the last depth block's tiles store `max(C, 0)`.
    var relu = false
    /// Where this band's columns start in `prepackedB`.
    var prepackedColumn = 0

    /// The product restricted to rows `rows` of `C`.
    func rows(_ rows: Range<Int>) -> Product {
        let start = rows.lowerBound
        var band = Product(transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k, alpha: alpha,
                           a: transposeA ? a + start : a + start &* lda, lda: lda, b: b, ldb: ldb,
                           beta: beta, c: c + start &* ldc, ldc: ldc)
        (band.prepackedB, band.prepackedColumn) = (prepackedB, prepackedColumn)
        (band.bias, band.relu) = (bias, relu)
        return band
    }

    /// The product restricted to columns `columns` of `C`.
    func columns(_ columns: Range<Int>) -> Product {
        let start = columns.lowerBound
        var band = Product(transposeA: transposeA, transposeB: transposeB, m: m, n: columns.count, k: k, alpha: alpha,
                           a: a, lda: lda, b: transposeB ? b + start &* ldb : b + start, ldb: ldb,
                           beta: beta, c: c + start, ldc: ldc)
        (band.prepackedB, band.prepackedColumn) = (prepackedB, prepackedColumn &+ start)
        (band.bias, band.relu) = (bias.map { $0 + start }, relu)
        return band
    }

    /// One band of `C` per thread, disjoint, together covering it and cut on tile boundaries,
    /// or `nil` when the product is too narrow to share.
    ///
    /// Each band packs its own blocks, so a column split repeats the packing of `A` (`m · k`
    /// per band) and a row split that of `B` (`k · n`): cut the dimension that repeats less,
    /// as long as it has a tile per band. With `B` packed beforehand a row split repeats
    /// nothing: rows are cut once every band gets four tiles (a 64-row recurrent step's
    /// products; the fp32 GRU training step ran 2% faster on Zen 4). (Twice as many bands, for
    /// load balance when another process shares a core, measured 290 against 310 GFLOP/s at
    /// 1024³ on a quiet machine.)
    func split(threads: Int) -> [Product]? {
        let rowTiles = (m &+ GEMM.tileRows &- 1) / GEMM.tileRows
        let columnTiles = (n &+ GEMM.tileColumns &- 1) / GEMM.tileColumns
        let byColumns = columnTiles >= threads && (m <= n || rowTiles < threads)
            && (prepackedB == nil || rowTiles < 4 * threads)
        guard byColumns || rowTiles >= threads else { return nil }
        let tiles = byColumns ? columnTiles : rowTiles
        let tileSize = byColumns ? GEMM.tileColumns : GEMM.tileRows
        let extent = byColumns ? n : m
        let parts = threads
        return (0..<parts).map { part in
            let lower = min(extent, tiles * part / parts * tileSize)
            let upper = min(extent, tiles * (part + 1) / parts * tileSize)
            return byColumns ? columns(lower..<upper) : rows(lower..<upper)
        }
    }

    /// Computes this product on the calling thread, block by block.
    ///
    /// Packing is lazy: the first sweep over a block packs each `B` micro-panel, and the
    /// first column of tiles each `A` micro-panel, just before the kernel first reads it, so
    /// the kernel finds it in L1 rather than after a separate pass has pushed it out to L2.
    /// When all rows fit one `A` block a `B` micro-panel is used by one sweep only, and a
    /// single L1-resident panel buffer serves them all in turn.
    func compute() {
        let (mc, kc, nc) = (GEMM.blockRows, GEMM.blockDepth, GEMM.blockColumns)
        let mr = GEMM.tileRows, nr = GEMM.tileColumns
        let keepsB = m > mc
        let workspace = GEMMWorkspace.current
        let packedA = workspace.packedA(count: (min(m, mc) &+ mr &- 1) / mr &* mr &* min(k, kc))
        let packedB = prepackedB != nil ? nil
            : workspace.packedB(count: (keepsB ? (min(n, nc) &+ nr &- 1) / nr &* nr : nr) &* min(k, kc))
        var jc = 0
        while jc < n {
            let columns = min(nc, n &- jc)
            var pc = 0
            while pc < k {
                let depth = min(kc, k &- pc)
                var ic = 0
                while ic < m {
                    let block = Block(
                        rows: min(mc, m &- ic), columns: columns, depth: depth,
                        a: a + (transposeA ? pc &* lda &+ ic : ic &* lda &+ pc),
                        b: b + (transposeB ? jc &* ldb &+ pc : pc &* ldb &+ jc),
                        c: c + (ic &* ldc &+ jc),
                        // Earlier depth blocks already hold alpha · (partial product) + beta · C.
                        beta: pc == 0 ? beta : 1,
                        bias: pc == 0 ? bias.map { $0 + jc } : nil, relu: relu && pc &+ depth == k,
                        packsB: ic == 0 && packedB != nil, keepsB: keepsB || packedB == nil)
                    // A prepacked block's panels lie as a kept block's do, `depth · 32` apart.
                    guard let panels = packedB ?? prepackedB?.panel(block: pc / kc, column: prepackedColumn &+ jc) else { return }
                    sweep(block, packedA: packedA, packedB: panels, scratch: workspace.scratch)
                    ic &+= mc
                }
                pc &+= kc
            }
            jc &+= nc
        }
    }

    /// One `rows × columns` block of `C` with a `depth` slice of the operands.
    private struct Block {
        let rows: Int, columns: Int, depth: Int
        /// Top-left elements of the operand blocks, as stored.
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>
        let c: UnsafeMutablePointer<Float>
        let beta: Float
        /// This block's columns of the bias (first depth block only), and whether it rectifies (last).
        let bias: UnsafePointer<Float>?
        let relu: Bool
        /// Whether this sweep packs `B` (the first row block) or finds it packed.
        let packsB: Bool
        /// Whether the packed `B` block is kept for later row blocks, or packed one panel at a time.
        let keepsB: Bool
    }

    /// Runs the micro-kernel over every tile of one block of `C`, packing each micro-panel
    /// just before its first use (but `A`'s whole row tiles: the kernel reads a plain `A`'s 8
    /// rows in place, `lda` apart, as it reads a packed panel's `kc` apart, and a transposed
    /// `A`'s 8 adjacent stored elements per depth step, `lda` apart, as a packed panel's 8
    /// apart; measured, the fp32 Transformer's step 1–3.5% faster with the first, its backward
    /// pass's linear layers 5–8% faster with the second, whose packing pass read `∂Y` out of
    /// memory once more than the kernel does).
    ///
    /// With the whole packed `B` block kept (`keepsB`, it sits in L2), tiles go row by row: one
    /// `A` micro-panel (8 KiB) stays in L1 while the `B` micro-panels stream past it, which
    /// measured ~6% faster than the reverse. With a single `B` panel buffer, tiles must go
    /// column by column, each fresh `B` micro-panel (32 KiB) meeting all the `A` ones.
    private func sweep(_ block: Block, packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
                       scratch: UnsafeMutablePointer<Float>) {
        let mr = GEMM.tileRows, nr = GEMM.tileColumns
        let depth = block.depth
        // Whole 8-row tiles of A are read where they lie; only an edge tile is packed.
        let packedLayout: GEMM.PanelLayout = transposeA ? .depthMajor(stride: mr) : .rowMajor(stride: depth)
        func inPlace(_ ir: Int) -> Bool { block.rows &- ir >= mr }

        @inline(__always) func packA(_ ir: Int) {
            if inPlace(ir) { return }
            GEMM.packA(transposed: transposeA, a: block.a + (transposeA ? ir : ir &* lda), lda: lda,
                       mc: min(mr, block.rows &- ir), kc: depth, into: packedA + ir &* depth)
        }
        @inline(__always) func packB(_ jr: Int, into panel: UnsafeMutablePointer<Float>) {
            GEMM.packB(transposed: transposeB, b: block.b + (transposeB ? jr &* ldb : jr), ldb: ldb,
                       kc: depth, nc: min(nr, block.columns &- jr), into: panel)
        }
        @inline(__always) func tile(_ ir: Int, _ jr: Int, panelB: UnsafeMutablePointer<Float>) {
            let rows = min(mr, block.rows &- ir), columns = min(nr, block.columns &- jr)
            let direct = inPlace(ir)
            let panelA = direct ? block.a + (transposeA ? ir : ir &* lda) : UnsafePointer(packedA + ir &* depth)
            let layout = direct ? (transposeA ? .depthMajor(stride: lda) : .rowMajor(stride: lda)) : packedLayout
            let target = block.c + (ir &* ldc &+ jr)
            let bias = block.bias.map { $0 + jr }
            if rows == mr && columns == nr {
                GEMM.microKernel(layout: layout, kc: depth, a: panelA, b: panelB,
                                 c: target, ldc: ldc, alpha: alpha, beta: block.beta, bias: bias, relu: block.relu)
            } else {
                GEMM.edgeKernel(layout: layout, kc: depth, a: panelA, b: panelB, rows: rows, columns: columns,
                                c: target, ldc: ldc, alpha: alpha, beta: block.beta, bias: bias, relu: block.relu,
                                scratch: scratch)
            }
        }

        if block.keepsB {
            for ir in stride(from: 0, to: block.rows, by: mr) {
                packA(ir)
                for jr in stride(from: 0, to: block.columns, by: nr) {
                    let panelB = packedB + jr &* depth
                    if block.packsB && ir == 0 { packB(jr, into: panelB) }
                    tile(ir, jr, panelB: panelB)
                }
            }
        } else {
            for jr in stride(from: 0, to: block.columns, by: nr) {
                packB(jr, into: packedB)
                for ir in stride(from: 0, to: block.rows, by: mr) {
                    if jr == 0 { packA(ir) }
                    tile(ir, jr, panelB: packedB)
                }
            }
        }
    }
}

/// Per-thread packing buffers, kept for the thread's lifetime so that steady-state calls
/// allocate nothing. Each buffer only grows, to the largest block the thread has packed.
///
/// A handle on the calling thread's record, not an object: every product fetches its thread's
/// workspace, and a class instance's reference count, retained and released around each of
/// thousands of small products a step, cost 1.2–1.4% of a Transformer step's thread time
/// (`perf`: nearly all of it on the `lock cmpxchg` in `swift_release`, most likely a cache line
/// shared with a neighbour the other thread writes). The record is on cache lines of its own.
struct GEMMWorkspace {
    private struct Record {
        var bufferA: UnsafeMutablePointer<Float>?, capacityA = 0
        var bufferB: UnsafeMutablePointer<Float>?, capacityB = 0
        var wordsA: UnsafeMutablePointer<Float>?, capacityWordsA = 0
        var wordsB: UnsafeMutablePointer<Float>?, capacityWordsB = 0
        /// Room for one 8 × 32 edge tile.
        let scratch = GEMMWorkspace.allocateFloats(GEMM.tileRows * GEMM.tileColumns)
        var isTimingProduct = false
        /// Room for one AMX edge block (32 × 32) and for the AMX kernel's own block.
        let bf16Scratch = GEMMWorkspace.allocateFloats(32 * 32)
        let amxScratch = GEMMWorkspace.allocateFloats(32 * 32)

        func free() {
            for buffer in [bufferA, bufferB, wordsA, wordsB, scratch, bf16Scratch, amxScratch] {
                buffer.map { UnsafeMutableRawPointer($0).deallocate() }
            }
        }
    }

    private let record: UnsafeMutablePointer<Record>

    var scratch: UnsafeMutablePointer<Float> { record.pointee.scratch }
    var bf16Scratch: UnsafeMutablePointer<Float> { record.pointee.bf16Scratch }
    var amxScratch: UnsafeMutablePointer<Float> { record.pointee.amxScratch }
    /// Set while this thread times a product (`ProductTimes`), so that products it calls are not counted again.
    var isTimingProduct: Bool {
        get { record.pointee.isTimingProduct }
        nonmutating set { record.pointee.isTimingProduct = newValue }
    }

    func packedA(count: Int) -> UnsafeMutablePointer<Float> {
        Self.reserve(&record.pointee.bufferA, &record.pointee.capacityA, count)
    }

    func packedB(count: Int) -> UnsafeMutablePointer<Float> {
        Self.reserve(&record.pointee.bufferB, &record.pointee.capacityB, count)
    }

    /// bf16 pairs of a packed `A` block.
    func packedWordsA(count: Int) -> UnsafeMutablePointer<UInt32> {
        UnsafeMutableRawPointer(Self.reserve(&record.pointee.wordsA, &record.pointee.capacityWordsA, count))
            .assumingMemoryBound(to: UInt32.self)
    }

    /// bf16 pairs of a whole packed `B`, which the pool's threads read while this one owns it.
    func packedWordsB(count: Int) -> UnsafeMutablePointer<UInt32> {
        UnsafeMutableRawPointer(Self.reserve(&record.pointee.wordsB, &record.pointee.capacityWordsB, count))
            .assumingMemoryBound(to: UInt32.self)
    }

    private static func reserve(_ buffer: inout UnsafeMutablePointer<Float>?, _ capacity: inout Int,
                                _ count: Int) -> UnsafeMutablePointer<Float> {
        if let existing = buffer, capacity >= count { return existing }
        buffer.map { UnsafeMutableRawPointer($0).deallocate() }
        let fresh = allocateFloats(count)
        buffer = fresh
        capacity = count
        return fresh
    }

    /// 64-byte aligned, so packed `B` rows load as aligned 16-lane vectors.
    private static func allocateFloats(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// The calling thread's workspace, created on first use and freed when the thread exits.
    static var current: GEMMWorkspace {
        if let existing = pthread_getspecific(key) {
            return GEMMWorkspace(record: existing.assumingMemoryBound(to: Record.self))
        }
        // Whole cache lines: nothing another thread writes shares one with the record.
        let bytes = (MemoryLayout<Record>.stride + 63) / 64 * 64
        let record = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            .initializeMemory(as: Record.self, to: Record())
        pthread_setspecific(key, record)
        return GEMMWorkspace(record: record)
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            guard let record = pointer?.assumingMemoryBound(to: Record.self) else { return }
            record.pointee.free()
            record.deinitialize(count: 1)
            UnsafeMutableRawPointer(record).deallocate()
        }
        return key
    }()
}
