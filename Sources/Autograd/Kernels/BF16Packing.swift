/// Packing for the bf16 kernels: rounding a block of `op(A)` or all of `op(B)` to bf16 and
/// pairing consecutive depth elements in one 32-bit word, the layout both `vdpbf16ps` and AMX's
/// `tdpbf16ps` read ("VNNI": depth pair `q` of a column holds elements `2q` and `2q + 1`).
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
        for block in 0..<depthBlocks {
            let start = block &* GEMM.bf16BlockDepth
            let depth = min(GEMM.bf16BlockDepth, k &- start)
            let pairs = pairs(ofBlock: block)
            for index in range {
                let column = index &* 32
                let columns = min(32, n &- column)
                let target = panel(block: block, column: column)
                if transposed {
                    Self.packTransposed(b + (column &* ldb &+ start), ldb: ldb, depth: depth, columns: columns,
                                        pairs: pairs, into: target)
                } else {
                    Self.packPlain(b + (start &* ldb &+ column), ldb: ldb, depth: depth, columns: columns,
                                   pairs: pairs, into: target)
                }
            }
        }
    }

    /// One panel from a plain `B`: pair `q` interleaves stored rows `2q` and `2q + 1`.
    private static func packPlain(_ b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int, pairs: Int,
                                  into target: UnsafeMutablePointer<UInt32>) {
        typealias V = SIMD16<Float>
        for q in 0..<pairs {
            let even = 2 &* q, odd = even &+ 1
            let row = UnsafeMutableRawPointer(target + q &* 32)
            if columns == 32 && odd < depth {
                let e = UnsafeRawPointer(b + even &* ldb), o = UnsafeRawPointer(b + odd &* ldb)
                row.storeBytes(of: BFloat16.pairs(even: e.loadUnaligned(as: V.self), odd: o.loadUnaligned(as: V.self)),
                               as: SIMD16<UInt32>.self)
                row.storeBytes(of: BFloat16.pairs(even: e.loadUnaligned(fromByteOffset: 64, as: V.self),
                                                  odd: o.loadUnaligned(fromByteOffset: 64, as: V.self)),
                               toByteOffset: 64, as: SIMD16<UInt32>.self)
                continue
            }
            let words = target + q &* 32
            for j in 0..<32 {
                let x = j < columns && even < depth ? b[even &* ldb &+ j] : 0
                let y = j < columns && odd < depth ? b[odd &* ldb &+ j] : 0
                words[j] = BFloat16.pair(x, y)
            }
        }
    }

    /// One panel from a stored-transposed `B`: column `j`'s pairs are consecutive elements of
    /// stored row `j`, converted 16 pairs at a time and scattered 32 words apart.
    private static func packTransposed(_ b: UnsafePointer<Float>, ldb: Int, depth: Int, columns: Int, pairs: Int,
                                       into target: UnsafeMutablePointer<UInt32>) {
        let fullPairs = depth / 2
        for j in 0..<32 {
            var q = 0
            if j < columns {
                let row = b + j &* ldb
                while q &+ 16 <= fullPairs {
                    let x = UnsafeRawPointer(row + 2 &* q).loadUnaligned(as: SIMD32<Float>.self)
                    let words = BFloat16.pairs(even: x.evenHalf, odd: x.oddHalf)
                    for l in 0..<16 { target[(q &+ l) &* 32 &+ j] = words[l] }
                    q &+= 16
                }
                while q < (depth &+ 1) / 2 {
                    let odd = 2 &* q &+ 1
                    target[q &* 32 &+ j] = BFloat16.pair(row[2 &* q], odd < depth ? row[odd] : 0)
                    q &+= 1
                }
            }
            while q < pairs {
                target[q &* 32 &+ j] = 0
                q &+= 1
            }
        }
    }
}

extension GEMM {
    /// Packs `op(A)[0..<rows, 0..<depth]` into a row-major word matrix of `pairs` words per row
    /// and `paddedRows` rows; `a` is the block's top-left element as stored (`a[i · lda + p]`,
    /// or `a[p · lda + i]` when `transposed`).
    static func packBF16A(transposed: Bool, a: UnsafePointer<Float>, lda: Int, rows: Int, depth: Int,
                          pairs: Int, paddedRows: Int, into target: UnsafeMutablePointer<UInt32>) {
        let usedPairs = (depth &+ 1) / 2, fullPairs = depth / 2
        if transposed {
            // Pair q of rows i ..< i + 16: stored rows 2q and 2q + 1, elements i ..< i + 16.
            for q in 0..<usedPairs {
                let even = a + 2 &* q &* lda
                let odd = 2 &* q &+ 1 < depth ? even + lda : nil
                var i = 0
                while i &+ 16 <= rows {
                    let x = UnsafeRawPointer(even + i).loadUnaligned(as: SIMD16<Float>.self)
                    let y = odd.map { UnsafeRawPointer($0 + i).loadUnaligned(as: SIMD16<Float>.self) } ?? SIMD16()
                    let words = BFloat16.pairs(even: x, odd: y)
                    for l in 0..<16 { target[(i &+ l) &* pairs &+ q] = words[l] }
                    i &+= 16
                }
                while i < rows {
                    target[i &* pairs &+ q] = BFloat16.pair(even[i], odd?[i] ?? 0)
                    i &+= 1
                }
            }
            for i in 0..<rows where usedPairs < pairs {
                (target + (i &* pairs &+ usedPairs)).initialize(repeating: 0, count: pairs &- usedPairs)
            }
        } else {
            for i in 0..<rows {
                let source = a + i &* lda, row = target + i &* pairs
                var q = 0
                while q &+ 16 <= fullPairs {
                    let x = UnsafeRawPointer(source + 2 &* q).loadUnaligned(as: SIMD32<Float>.self)
                    UnsafeMutableRawPointer(row + q).storeBytes(of: BFloat16.pairs(even: x.evenHalf, odd: x.oddHalf),
                                                                as: SIMD16<UInt32>.self)
                    q &+= 16
                }
                while q < usedPairs {
                    let odd = 2 &* q &+ 1
                    row[q] = BFloat16.pair(source[2 &* q], odd < depth ? source[odd] : 0)
                    q &+= 1
                }
                if usedPairs < pairs { (row + usedPairs).initialize(repeating: 0, count: pairs &- usedPairs) }
            }
        }
        if rows < paddedRows {
            (target + rows &* pairs).initialize(repeating: 0, count: (paddedRows &- rows) &* pairs)
        }
    }
}
