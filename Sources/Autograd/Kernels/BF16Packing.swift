import CKernels

/// Packing for the bf16 kernels: rounding a block of `op(A)` or all of `op(B)` to bf16 and
/// pairing consecutive depth elements in one 32-bit word, the layout both `vdpbf16ps` and AMX's
/// `tdpbf16ps` read ("VNNI": depth pair `q` of a column holds elements `2q` and `2q + 1`). The
/// loops that convert (`vcvtne2ps2bf16`, which Swift cannot emit) and transpose are C kernels
/// (`CKernels/bf16_pack.c`); this file decides what goes where.
///
/// - A packed `A` block is a row-major matrix of words: row `i`, pair `q` at `i · pairs + q`,
///   rows padded with zeros to a multiple of the kernel's tile rows. An AVX512-BF16 tile
///   broadcasts one word per row; an AMX tile loads 16 rows of 16 words.
/// - A packed `B` is cut into depth blocks of `GEMM.bf16BlockDepth` elements, and each block into
///   panels of 32 columns: pair `q` of column `j` at `q · 32 + j`, two 16-word vectors per pair,
///   which is an AMX `B` tile for columns 0–15 or 16–31 read with a 128-byte stride.
///
/// Depth past `k` and columns past `n` are zero, so kernels always compute whole tiles.

extension GEMM {
    /// Depth of a bf16 block (elements, two per word): a `B` micro-panel is 256 pairs × 32 × 4
    /// bytes (32 KiB), as the float32 kernel's.
    static let bf16BlockDepth = 512
    /// Rows of `C` per packed `A` block.
    static let bf16BlockRows = 256
    /// Columns of `C` per sweep over a packed `B` depth block: 256 pairs × 512 × 4 bytes (512 KiB).
    static let bf16BlockColumns = 512
}

/// All of `op(B)` (`[k, n]`) packed for the bf16 kernels; see `BF16Packing.swift`.
public struct BF16PackedMatrix {
    let words: UnsafeMutablePointer<UInt32>
    let k: Int, n: Int
    /// Pairs per depth block are rounded up to a multiple of this (16 for AMX tiles, else 1).
    let pairAlignment: Int

    var panels: Int { (n &+ 31) / 32 }
    var depthBlocks: Int { (k &+ GEMM.bf16BlockDepth &- 1) / GEMM.bf16BlockDepth }

    /// Depth pairs stored in block `block` (the last may be shorter), padding included.
    func pairs(ofBlock block: Int) -> Int {
        let depth = min(GEMM.bf16BlockDepth, k &- block &* GEMM.bf16BlockDepth)
        return Self.paddedPairs(depth: depth, alignment: pairAlignment)
    }

    /// The panel holding columns `column ..< column + 32` of depth block `block`.
    func panel(block: Int, column: Int) -> UnsafeMutablePointer<UInt32> {
        let fullPairs = GEMM.bf16BlockDepth / 2
        return words + (block &* fullPairs &* 32 &* panels &+ column &* pairs(ofBlock: block))
    }

    static func paddedPairs(depth: Int, alignment: Int) -> Int {
        ((depth &+ 1) / 2 &+ alignment &- 1) / alignment &* alignment
    }

    static func wordCount(k: Int, n: Int, pairAlignment: Int) -> Int {
        let blocks = (k + GEMM.bf16BlockDepth - 1) / GEMM.bf16BlockDepth
        let lastDepth = k - (blocks - 1) * GEMM.bf16BlockDepth
        let pairs = (blocks - 1) * GEMM.bf16BlockDepth / 2 + paddedPairs(depth: lastDepth, alignment: pairAlignment)
        return pairs * (n + 31) / 32 * 32
    }

    /// Packs panels `panels` of every depth block from `op(B)`: `b[p · ldb + j]`, or
    /// `b[j · ldb + p]` when `transposed`.
    func pack(transposed: Bool, b: UnsafePointer<Float>, ldb: Int, panels range: Range<Int>) {
        forEachPanel(range) { start, depth, pairs, column, columns, target in
            if transposed {
                attend_bf16_pack_b_transposed(b + (column &* ldb &+ start), ldb, depth, columns, pairs, target)
            } else {
                attend_bf16_pack_b_plain(b + (start &* ldb &+ column), ldb, depth, columns, pairs, target)
            }
        }
    }

    /// Calls `body` for panels `range` of every depth block with the block's first depth
    /// element, its depth, its pairs (padding included), the panel's first column, its live
    /// columns and where it is packed.
    @inline(__always)
    func forEachPanel(_ range: Range<Int>, _ body: (_ start: Int, _ depth: Int, _ pairs: Int, _ column: Int, _ columns: Int,
                                                    _ target: UnsafeMutablePointer<UInt32>) -> Void) {
        for block in 0..<depthBlocks {
            let start = block &* GEMM.bf16BlockDepth
            let depth = min(GEMM.bf16BlockDepth, k &- start)
            let pairs = pairs(ofBlock: block)
            for index in range {
                let column = index &* 32
                body(start, depth, pairs, column, min(32, n &- column), panel(block: block, column: column))
            }
        }
    }

}

extension GEMM {
    /// Packs `op(A)[0..<rows, 0..<depth]` into a row-major word matrix of `pairs` words per row
    /// and `paddedRows` rows; `a` is the block's top-left element as stored (`a[i · lda + p]`,
    /// or `a[p · lda + i]` when `transposed`).
    @inline(__always)
    static func packBF16A(transposed: Bool, a: UnsafePointer<Float>, lda: Int, rows: Int, depth: Int,
                          pairs: Int, paddedRows: Int, into target: UnsafeMutablePointer<UInt32>) {
        if transposed {
            attend_bf16_pack_a_transposed(a, lda, rows, depth, pairs, paddedRows, pairs, target)
        } else {
            attend_bf16_pack_a_plain(a, lda, rows, depth, pairs, paddedRows, target)
        }
    }
}
