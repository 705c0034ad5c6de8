/// `op(B)` packed once and kept, for a weight that many products multiply by (a recurrent
/// weight, once per time step): `GEMM.multiply(…, packedB:)`. `FrozenParameters` keeps one per
/// parameter and orientation for the length of a training step or a decoding run.
public final class PackedMatrix {
    enum Layout {
        case fp32(FP32PackedMatrix)
        case bf16(BF16PackedMatrix)
    }

    let path: MatrixPath
    let layout: Layout
    /// Whether it was packed from a stored-transposed `B`.
    public let transposed: Bool
    let k: Int, n: Int, ldb: Int
    private let memory: UnsafeMutableRawPointer

    /// Packs `op(B)` (`[k, n]`, `b[p · ldb + j]` or, when `transposed`, `b[j · ldb + p]`) for the
    /// current path.
    public init?(transposed: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int) {
        guard k > 0, n > 0 else { return nil }
        let path = GEMM.path
        (self.path, self.transposed, self.k, self.n, self.ldb) = (path, transposed, k, n, ldb)
        if path.isBF16 {
            let alignment = GEMM.BF16Tile.pairAlignment(path)
            let count = BF16PackedMatrix.wordCount(k: k, n: n, pairAlignment: alignment)
            memory = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            layout = .bf16(BF16PackedMatrix(words: memory.bindMemory(to: UInt32.self, capacity: count), k: k, n: n,
                                            pairAlignment: alignment))
        } else {
            let count = FP32PackedMatrix.count(k: k, n: n)
            memory = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            layout = .fp32(FP32PackedMatrix(floats: memory.bindMemory(to: Float.self, capacity: count), k: k, n: n))
        }
        repack(from: b)
    }

    /// Packs new values of the same `B` (same shape and leading dimension) into this memory.
    public func repack(from b: UnsafePointer<Float>) {
        switch layout {
        case .bf16(let packed):
            _ = GEMM.packBF16B(path: path, transposeB: transposed, k: k, n: n, b: b, ldb: ldb, into: packed.words)
        case .fp32(let packed):
            packed.pack(transposed: transposed, b: b, ldb: ldb)
        }
    }

    deinit { memory.deallocate() }
}

/// All of `op(B)` packed for the float32 kernel: depth blocks of `GEMM.blockDepth`, each cut into
/// panels of 32 columns laid out as `GEMM.packB` lays out one (element `(p, j)` at `p · 32 + j`),
/// panel after panel, so a block's panels lie `depth · 32` apart as a kept block's do.
struct FP32PackedMatrix {
    let floats: UnsafeMutablePointer<Float>
    let k: Int, n: Int

    static func count(k: Int, n: Int) -> Int { k * ((n + GEMM.tileColumns - 1) / GEMM.tileColumns * GEMM.tileColumns) }

    /// The panel of depth block `block` holding columns `column ..< column + 32`.
    func panel(block: Int, column: Int) -> UnsafeMutablePointer<Float> {
        let start = block &* GEMM.blockDepth, depth = min(GEMM.blockDepth, k &- start)
        let width = (n &+ GEMM.tileColumns &- 1) / GEMM.tileColumns &* GEMM.tileColumns
        return floats + (start &* width &+ column &* depth)
    }

    /// Packs all of `op(B)`, its panels split between the pool's threads when it is large enough
    /// to be worth it (as `GEMM.packBF16B` splits the bf16 ones): a recurrent step's weights are
    /// packed at their first product of each training step.
    func pack(transposed: Bool, b: UnsafePointer<Float>, ldb: Int) {
        GEMM.forEachPanelRange((n + GEMM.tileColumns - 1) / GEMM.tileColumns, elements: k &* n) { range in
            for start in stride(from: 0, to: k, by: GEMM.blockDepth) {
                let depth = min(GEMM.blockDepth, k - start)
                for index in range {
                    let column = index * GEMM.tileColumns
                    GEMM.packB(transposed: transposed, b: b + (transposed ? column * ldb + start : start * ldb + column),
                               ldb: ldb, kc: depth, nc: min(GEMM.tileColumns, n - column),
                               into: panel(block: start / GEMM.blockDepth, column: column))
                }
            }
        }
    }
}

extension GEMM {
    /// `C = alpha · op(A) · B + beta · C` (`+ bias` on every row, and `relu`, as the other `multiply`) with
    /// `B` already packed; if the path changed since it was packed, the product packs afresh
    /// from `fallback`.
    public static func multiply(
        transposeA: Bool, m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        packedB: PackedMatrix, fallback b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil, relu: Bool = false
    ) {
        let timing = ProductTimes.Timing.start(m: m, n: n, k: k, transposeA: transposeA, transposeB: packedB.transposed,
                                               packedB: true)
        defer { timing?.stop() }
        let unpacked = GEMM.allowsUnpacked && min(m, n) <= 4 && !packedB.path.isBF16
        guard packedB.path == GEMM.path, packedB.k == k, packedB.n == n, m > 0, alpha != 0, !unpacked else {
            multiply(transposeA: transposeA, transposeB: packedB.transposed, m: m, n: n, k: k, alpha: alpha,
                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias, relu: relu)
            return
        }
        let epilogue = Epilogue(bias: bias, relu: relu, m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc)
        defer { epilogue.finish() }
        switch packedB.layout {
        case .bf16(let packed):
            multiplyBF16(path: packedB.path, transposeA: transposeA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                         b: packed, beta: epilogue.beta, c: c, ldc: ldc, bias: epilogue.bias, relu: epilogue.relu)
        case .fp32(let packed):
            multiplyFP32(transposeA: transposeA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                         prepackedB: packed, beta: epilogue.beta, c: c, ldc: ldc, bias: epilogue.bias, relu: epilogue.relu)
        }
    }
}
