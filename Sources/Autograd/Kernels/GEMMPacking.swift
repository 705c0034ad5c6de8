import CKernels

/// Packing: copying a block of `op(A)` or `op(B)` into the contiguous, zero-padded micro-panels
/// the micro-kernel streams through.
///
/// Packing turns strided reads of the caller's matrices (any leading dimension, either
/// orientation) into sequential ones, keeps a block resident in one cache level, and pads the
/// edges with zeros so that the kernel always computes a full 8 × 32 tile. Each loop asks for
/// the stored rows it reads four rows later (`attend_prefetch`): operands often come cold from
/// memory, and the hardware prefetchers lose the stream at every row.

extension GEMM {
    /// Packs `op(A)[0..<mc, 0..<kc]` into micro-panels of `tileRows` rows.
    ///
    /// Panel `r` (rows `8r ..< 8r + 8`) starts at `packed + 8r · kc`; inside it element `(i, p)`
    /// is at `i · kc + p` for a plain `A` (`.rowMajor`: each row is one contiguous copy) and at
    /// `p · 8 + i` for a stored-transposed `A` (`.depthMajor`: each depth step copies 8
    /// adjacent stored elements). Rows past `mc` are zero. `Product.sweep` packs only a block's
    /// edge tile this way; it reads whole 8-row tiles where they lie.
    ///
    /// - Parameter a: the top-left element of the block, as stored.
    static func packA(
        transposed: Bool, a: UnsafePointer<Float>, lda: Int, mc: Int, kc: Int,
        into packed: UnsafeMutablePointer<Float>
    ) {
        let mr = tileRows
        if transposed {
            packTransposedA(a: a, lda: lda, mc: mc, kc: kc, into: packed)
            return
        }
        var panel = packed
        var i0 = 0
        while i0 < mc {
            let rows = min(mr, mc &- i0)
            // op(A)(i, p) = a[i·lda + p]: copy each row's kc elements.
            for i in 0..<rows {
                if i0 &+ i &+ 4 < mc { attend_prefetch(a + (i0 &+ i &+ 4) &* lda, kc) }
                copy(a + (i0 &+ i) &* lda, to: panel + i &* kc, count: kc)
            }
            if rows < mr { (panel + rows &* kc).initialize(repeating: 0, count: (mr &- rows) &* kc) }
            panel += mr &* kc
            i0 &+= mr
        }
    }

    /// `packA` for a stored-transposed `A`: op(A)(i, p) = a[p·lda + i], so depth step `p` of
    /// panel `r` is the 8 stored elements `a[p·lda + 8r ..< p·lda + 8r + 8]`.
    ///
    /// Stored rows are walked outermost: each is read once, front to back, which the hardware
    /// prefetches; walking panel by panel would instead read 32 bytes from each of `kc` rows
    /// `lda` apart, one cache miss after another.
    private static func packTransposedA(a: UnsafePointer<Float>, lda: Int, mc: Int, kc: Int,
                                        into packed: UnsafeMutablePointer<Float>) {
        let mr = tileRows
        let fullPanels = mc / mr, rest = mc &- fullPanels &* mr
        let panelSize = mr &* kc
        for p in 0..<kc {
            if p &+ 4 < kc { attend_prefetch(a + (p &+ 4) &* lda, mc) }
            let source = UnsafeRawPointer(a + p &* lda)
            let target = UnsafeMutableRawPointer(packed + p &* mr)
            for panel in 0..<fullPanels {
                target.storeBytes(of: source.loadUnaligned(fromByteOffset: panel &* mr &* 4, as: SIMD8<Float>.self),
                                  toByteOffset: panel &* panelSize &* 4, as: SIMD8<Float>.self)
            }
        }
        guard rest > 0 else { return }
        var source = a + fullPanels &* mr
        var target = packed + fullPanels &* panelSize
        for _ in 0..<kc {
            for i in 0..<rest { target[i] = source[i] }
            for i in rest..<mr { target[i] = 0 }
            source += lda
            target += mr
        }
    }

    /// Packs `op(B)[0..<kc, 0..<nc]` into micro-panels of `tileColumns` columns.
    ///
    /// Panel `s` (columns `32s ..< 32s + 32`) starts at `packed + 32s · kc`; inside it element
    /// `(p, j)` is at `p · 32 + j`, so each depth step is two aligned 16-lane vectors.
    /// Columns past `nc` are zero.
    ///
    /// - Parameter b: the top-left element of the block, as stored.
    static func packB(
        transposed: Bool, b: UnsafePointer<Float>, ldb: Int, kc: Int, nc: Int,
        into packed: UnsafeMutablePointer<Float>
    ) {
        let nr = tileColumns
        if !transposed {
            packPlainB(b: b, ldb: ldb, kc: kc, nc: nc, into: packed)
            return
        }
        var panel = packed
        var j0 = 0
        while j0 < nc {
            let columns = min(nr, nc &- j0)
            if !transposed {
                packPlainB(b: b + j0, ldb: ldb, kc: kc, nc: columns, into: panel)
            } else {
                // op(B)(p, j) = b[j·ldb + p]: a transpose, 4 stored rows at a time.
                let groups = columns / 4
                for group in 0..<groups {
                    // The next four stored rows, while these four are transposed.
                    let next = j0 &+ (group &+ 1) &* 4
                    if next &+ 4 <= nc { for j in next..<next &+ 4 { attend_prefetch(b + j &* ldb, kc) } }
                    transpose4(b + (j0 &+ group &* 4) &* ldb, ldb: ldb, kc: kc, into: panel + group &* 4)
                }
                for j in groups &* 4..<columns {
                    let source = b + (j0 &+ j) &* ldb
                    var target = panel + j
                    for p in 0..<kc {
                        target.pointee = source[p]
                        target += nr
                    }
                }
                if columns < nr {
                    var target = panel
                    for _ in 0..<kc {
                        for j in columns..<nr { target[j] = 0 }
                        target += nr
                    }
                }
            }
            panel += nr &* kc
            j0 &+= nr
        }
    }

    /// `packB` for a plain `B`: op(B)(p, j) = b[p·ldb + j], so depth step `p` of panel `s` is
    /// the 32 stored elements `b[p·ldb + 32s ..< p·ldb + 32s + 32]`.
    ///
    /// Stored rows are walked outermost, for the same reason as in `packTransposedA`.
    private static func packPlainB(b: UnsafePointer<Float>, ldb: Int, kc: Int, nc: Int,
                                   into packed: UnsafeMutablePointer<Float>) {
        let nr = tileColumns
        let fullPanels = nc / nr, rest = nc &- fullPanels &* nr
        let panelBytes = nr &* kc &* 4
        for p in 0..<kc {
            if p &+ 4 < kc { attend_prefetch(b + (p &+ 4) &* ldb, nc) }
            let source = UnsafeRawPointer(b + p &* ldb)
            let target = UnsafeMutableRawPointer(packed + p &* nr)
            for panel in 0..<fullPanels {
                let from = panel &* nr &* 4, to = panel &* panelBytes
                target.storeBytes(of: source.loadUnaligned(fromByteOffset: from, as: Float16Vector.self),
                                  toByteOffset: to, as: Float16Vector.self)
                target.storeBytes(of: source.loadUnaligned(fromByteOffset: from &+ 64, as: Float16Vector.self),
                                  toByteOffset: to &+ 64, as: Float16Vector.self)
            }
        }
        guard rest > 0 else { return }
        var source = b + fullPanels &* nr
        var target = packed + fullPanels &* nr &* kc
        for _ in 0..<kc {
            for j in 0..<rest { target[j] = source[j] }
            for j in rest..<nr { target[j] = 0 }
            source += ldb
            target += nr
        }
    }

    /// `target[p·32 + j] = source[j·ldb + p]` for `j < 4`, `p < kc`: four stored rows become
    /// four adjacent columns of a packed `B` panel.
    ///
    /// Works on `4 × 4` blocks: four 4-lane loads, four 4-lane stores, and the shuffles between
    /// them (which the compiler lowers well at this width), ~2.4× faster than moving elements
    /// one by one.
    @inline(__always)
    static func transpose4(_ source: UnsafePointer<Float>, ldb: Int, kc: Int, into target: UnsafeMutablePointer<Float>) {
        typealias Q = SIMD4<Float>
        let s0 = UnsafeRawPointer(source), s1 = s0 + ldb &* 4, s2 = s1 + ldb &* 4, s3 = s2 + ldb &* 4
        var t = UnsafeMutableRawPointer(target)
        let step = tileColumns &* 4
        var p = 0
        while p &+ 4 <= kc {
            let offset = p &* 4
            let r0 = s0.loadUnaligned(fromByteOffset: offset, as: Q.self)
            let r1 = s1.loadUnaligned(fromByteOffset: offset, as: Q.self)
            let r2 = s2.loadUnaligned(fromByteOffset: offset, as: Q.self)
            let r3 = s3.loadUnaligned(fromByteOffset: offset, as: Q.self)
            t.storeBytes(of: Q(r0[0], r1[0], r2[0], r3[0]), as: Q.self)
            t.storeBytes(of: Q(r0[1], r1[1], r2[1], r3[1]), toByteOffset: step, as: Q.self)
            t.storeBytes(of: Q(r0[2], r1[2], r2[2], r3[2]), toByteOffset: step &* 2, as: Q.self)
            t.storeBytes(of: Q(r0[3], r1[3], r2[3], r3[3]), toByteOffset: step &* 3, as: Q.self)
            t += step &* 4
            p &+= 4
        }
        while p < kc {
            let offset = p &* 4
            t.storeBytes(of: Q(s0.load(fromByteOffset: offset, as: Float.self), s1.load(fromByteOffset: offset, as: Float.self),
                               s2.load(fromByteOffset: offset, as: Float.self), s3.load(fromByteOffset: offset, as: Float.self)),
                         as: Q.self)
            t += step
            p &+= 1
        }
    }

    /// `target[0..<count] = source[0..<count]`, 16 lanes at a time.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        let s = UnsafeRawPointer(source), t = UnsafeMutableRawPointer(target)
        while index &+ 16 <= count {
            t.storeBytes(of: s.loadUnaligned(fromByteOffset: index &* 4, as: Float16Vector.self),
                         toByteOffset: index &* 4, as: Float16Vector.self)
            index &+= 16
        }
        while index < count {
            target[index] = source[index]
            index &+= 1
        }
    }
}
