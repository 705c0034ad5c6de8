/// The unpacked path of `GEMM.multiply`, for products too thin to repay packing.
///
/// Packing copies `m·k + k·n` elements and computes whole `8 × 32` tiles, so for
/// matrix–vector products (`m == 1` or `n == 1`, where 7/8 or 31/32 of each tile is padding)
/// and other products with a handful of rows or columns, the copies and the padding outweigh
/// the arithmetic. These kernels read the operands where they are:
///
/// - row form, when rows of the right operand are contiguous:
///   `C[i, j..<j+16] += X[i, p] · Y[p, j..<j+16]`, 4 rows of `C` at a time;
/// - dot form, when rows of `X` and columns of `Y` are contiguous along `p`:
///   `C[i, j] = Σₚ X[i, p] · Y[p, j]` with 16 lanes along `p`, a `4 × 4` block of `C` at a time.

extension GEMM {
    /// A read-only matrix view: element `(i, j)` at `base[i · rowStride + j · columnStride]`.
    struct Operand {
        let base: UnsafePointer<Float>
        let rowStride: Int, columnStride: Int

        var transposed: Operand { Operand(base: base, rowStride: columnStride, columnStride: rowStride) }
    }

    /// A writable matrix view, as `Operand`.
    struct Result {
        let base: UnsafeMutablePointer<Float>
        let rowStride: Int, columnStride: Int

        var transposed: Result { Result(base: base, rowStride: columnStride, columnStride: rowStride) }

        /// `C(i, j) = alpha · value + beta · C(i, j)`; `beta == 0` does not read `C`.
        @inline(__always)
        func update(_ i: Int, _ j: Int, _ value: Float, alpha: Float, beta: Float) {
            let pointer = base + (i &* rowStride &+ j &* columnStride)
            pointer.pointee = beta == 0 ? alpha * value : alpha * value + beta * pointer.pointee
        }
    }

    /// `C = alpha · X · Y + beta · C` for `X` `[m, k]`, `Y` `[k, n]` if one of the unpacked
    /// kernels suits the shape and strides, choosing whether to compute `Cᵀ = Yᵀ · Xᵀ`
    /// instead; returns `false` (having done nothing) when packing would be faster.
    ///
    /// Only thin products qualify (`m` or `n` at most 4): measured here, the packed kernel wins
    /// from about 8 × 8 up, even on tiny products, while matrix–vector products run ~2–4×
    /// faster unpacked.
    ///
    /// With `roundingToBF16` every operand value is rounded to bf16 as it is read, which gives
    /// the bf16 paths' numbers (exact products, float32 sums) without packing.
    static func multiplyUnpacked(m: Int, n: Int, k: Int, alpha: Float, x: Operand, y: Operand,
                                 beta: Float, c: Result, roundingToBF16: Bool = false) -> Bool {
        roundingToBF16
            ? multiplyUnpacked(m: m, n: n, k: k, alpha: alpha, x: x, y: y, beta: beta, c: c, RoundedToBF16.self)
            : multiplyUnpacked(m: m, n: n, k: k, alpha: alpha, x: x, y: y, beta: beta, c: c, ExactValues.self)
    }

    private static func multiplyUnpacked<R: OperandReading>(m: Int, n: Int, k: Int, alpha: Float, x: Operand,
                                                             y: Operand, beta: Float, c: Result, _: R.Type) -> Bool {
        let lanes = 16, thin = 4
        guard min(m, n) <= thin else { return false }
        if n >= lanes, y.columnStride == 1 {
            rowForm(m: m, n: n, k: k, alpha: alpha, x: x, y: y, beta: beta, c: c, R.self)
            return true
        }
        if m >= lanes, x.rowStride == 1 {
            rowForm(m: n, n: m, k: k, alpha: alpha, x: y.transposed, y: x.transposed, beta: beta, c: c.transposed, R.self)
            return true
        }
        // The dot form sums 16 lanes per entry at the end: worth it only over a long enough k.
        guard k >= 32 else { return false }
        // A thin operand whose rows (of X) or columns (of Y) are strided is first copied into
        // contiguous ones: at most 4 · k elements.
        let copyX = x.columnStride != 1, copyY = y.rowStride != 1
        guard (!copyX || m <= thin), (!copyY || n <= thin) else { return false }
        var (x, y) = (x, y)
        if copyX || copyY {
            let workspace = GEMMWorkspace.current
            if copyX {
                let copy = workspace.packedA(count: m &* k)
                for i in 0..<m { for p in 0..<k { copy[i &* k &+ p] = R.scalar(x.base[i &* x.rowStride &+ p &* x.columnStride]) } }
                x = Operand(base: copy, rowStride: k, columnStride: 1)
            }
            if copyY {
                let copy = workspace.packedB(count: n &* k)
                for j in 0..<n { for p in 0..<k { copy[j &* k &+ p] = R.scalar(y.base[p &* y.rowStride &+ j &* y.columnStride]) } }
                y = Operand(base: copy, rowStride: 1, columnStride: k)
            }
        }
        dotForm(m: m, n: n, k: k, alpha: alpha, x: x, y: y, beta: beta, c: c, R.self)
        return true
    }

    /// The row form; requires `y.columnStride == 1`.
    ///
    /// A block of 4 rows × 32 columns keeps 8 accumulators; fewer than 4 remaining rows reuse
    /// row 0's pointer (computed, not stored), and a final partial vector is loaded lane by lane.
    private static func rowForm<R: OperandReading>(m: Int, n: Int, k: Int, alpha: Float, x: Operand, y: Operand,
                                                    beta: Float, c: Result, _: R.Type) {
        typealias V = Float16Vector
        let ldy = y.rowStride
        var i0 = 0
        while i0 < m {
            let rows = min(4, m &- i0)
            // Row r of the block, or row i0 again past the end of X.
            let x0 = x.base + i0 &* x.rowStride
            let x1 = rows > 1 ? x0 + x.rowStride : x0
            let x2 = rows > 2 ? x0 + 2 &* x.rowStride : x0
            let x3 = rows > 3 ? x0 + 3 &* x.rowStride : x0
            let xp = x.columnStride
            var j0 = 0
            while j0 < n {
                let width = min(32, n &- j0)
                var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
                var row = y.base + j0
                var offset = 0
                if width == 32 {
                    for _ in 0..<k {
                        let raw = UnsafeRawPointer(row)
                        let y0 = R.vector(raw.loadUnaligned(as: V.self)), y1 = R.vector(raw.loadUnaligned(fromByteOffset: 64, as: V.self))
                        var a = V(repeating: R.scalar(x0[offset]))
                        c00 = c00.addingProduct(a, y0); c01 = c01.addingProduct(a, y1)
                        a = V(repeating: R.scalar(x1[offset]))
                        c10 = c10.addingProduct(a, y0); c11 = c11.addingProduct(a, y1)
                        a = V(repeating: R.scalar(x2[offset]))
                        c20 = c20.addingProduct(a, y0); c21 = c21.addingProduct(a, y1)
                        a = V(repeating: R.scalar(x3[offset]))
                        c30 = c30.addingProduct(a, y0); c31 = c31.addingProduct(a, y1)
                        row += ldy
                        offset &+= xp
                    }
                } else {
                    let low = min(16, width), high = width &- low
                    for _ in 0..<k {
                        let y0 = R.vector(low == 16 ? UnsafeRawPointer(row).loadUnaligned(as: V.self) : Vector.loadPartial(row, low, padding: 0))
                        let y1 = high > 0 ? R.vector(Vector.loadPartial(row + 16, high, padding: 0)) : V()
                        var a = V(repeating: R.scalar(x0[offset]))
                        c00 = c00.addingProduct(a, y0); c01 = c01.addingProduct(a, y1)
                        a = V(repeating: R.scalar(x1[offset]))
                        c10 = c10.addingProduct(a, y0); c11 = c11.addingProduct(a, y1)
                        a = V(repeating: R.scalar(x2[offset]))
                        c20 = c20.addingProduct(a, y0); c21 = c21.addingProduct(a, y1)
                        a = V(repeating: R.scalar(x3[offset]))
                        c30 = c30.addingProduct(a, y0); c31 = c31.addingProduct(a, y1)
                        row += ldy
                        offset &+= xp
                    }
                }
                @inline(__always) func store(_ r: Int, _ low: V, _ high: V) {
                    guard r < rows else { return }
                    if width == 32 && c.columnStride == 1 {
                        storeRow(low, high, c.base + ((i0 &+ r) &* c.rowStride &+ j0), TileStore(alpha: alpha, beta: beta))
                        return
                    }
                    for j in 0..<width {
                        c.update(i0 &+ r, j0 &+ j, j < 16 ? low[j] : high[j &- 16], alpha: alpha, beta: beta)
                    }
                }
                store(0, c00, c01)
                store(1, c10, c11)
                store(2, c20, c21)
                store(3, c30, c31)
                j0 &+= 32
            }
            i0 &+= 4
        }
    }

    /// The dot form; requires `x.columnStride == 1` and `y.rowStride == 1`.
    ///
    /// A `4 × 4` block of `C` keeps 16 accumulators of 16 lanes along `p`, summed across lanes
    /// at the end. Missing rows or columns of a block reuse the first one's pointer.
    private static func dotForm<R: OperandReading>(m: Int, n: Int, k: Int, alpha: Float, x: Operand, y: Operand,
                                                    beta: Float, c: Result, _: R.Type) {
        typealias V = Float16Vector
        let full = k & ~15, rest = k &- full
        var i0 = 0
        while i0 < m {
            let rows = min(4, m &- i0)
            let x0 = x.base + i0 &* x.rowStride
            let x1 = rows > 1 ? x0 + x.rowStride : x0
            let x2 = rows > 2 ? x0 + 2 &* x.rowStride : x0
            let x3 = rows > 3 ? x0 + 3 &* x.rowStride : x0
            var j0 = 0
            while j0 < n {
                let columns = min(4, n &- j0)
                let y0 = y.base + j0 &* y.columnStride
                let y1 = columns > 1 ? y0 + y.columnStride : y0
                let y2 = columns > 2 ? y0 + 2 &* y.columnStride : y0
                let y3 = columns > 3 ? y0 + 3 &* y.columnStride : y0
                var s00 = V(), s01 = V(), s02 = V(), s03 = V(), s10 = V(), s11 = V(), s12 = V(), s13 = V()
                var s20 = V(), s21 = V(), s22 = V(), s23 = V(), s30 = V(), s31 = V(), s32 = V(), s33 = V()
                @inline(__always) func step(_ a0: V, _ a1: V, _ a2: V, _ a3: V, _ b0: V, _ b1: V, _ b2: V, _ b3: V) {
                    s00 = s00.addingProduct(a0, b0); s01 = s01.addingProduct(a0, b1)
                    s02 = s02.addingProduct(a0, b2); s03 = s03.addingProduct(a0, b3)
                    s10 = s10.addingProduct(a1, b0); s11 = s11.addingProduct(a1, b1)
                    s12 = s12.addingProduct(a1, b2); s13 = s13.addingProduct(a1, b3)
                    s20 = s20.addingProduct(a2, b0); s21 = s21.addingProduct(a2, b1)
                    s22 = s22.addingProduct(a2, b2); s23 = s23.addingProduct(a2, b3)
                    s30 = s30.addingProduct(a3, b0); s31 = s31.addingProduct(a3, b1)
                    s32 = s32.addingProduct(a3, b2); s33 = s33.addingProduct(a3, b3)
                }
                var p = 0
                while p < full {
                    @inline(__always) func load(_ pointer: UnsafePointer<Float>) -> V {
                        R.vector(UnsafeRawPointer(pointer + p).loadUnaligned(as: V.self))
                    }
                    step(load(x0), load(x1), load(x2), load(x3), load(y0), load(y1), load(y2), load(y3))
                    p &+= 16
                }
                if rest > 0 {
                    @inline(__always) func load(_ pointer: UnsafePointer<Float>) -> V { R.vector(Vector.loadPartial(pointer + p, rest, padding: 0)) }
                    step(load(x0), load(x1), load(x2), load(x3), load(y0), load(y1), load(y2), load(y3))
                }
                @inline(__always) func store(_ r: Int, _ sums: (V, V, V, V)) {
                    guard r < rows else { return }
                    let totals = (horizontalSum(sums.0), horizontalSum(sums.1), horizontalSum(sums.2), horizontalSum(sums.3))
                    c.update(i0 &+ r, j0, totals.0, alpha: alpha, beta: beta)
                    if columns > 1 { c.update(i0 &+ r, j0 &+ 1, totals.1, alpha: alpha, beta: beta) }
                    if columns > 2 { c.update(i0 &+ r, j0 &+ 2, totals.2, alpha: alpha, beta: beta) }
                    if columns > 3 { c.update(i0 &+ r, j0 &+ 3, totals.3, alpha: alpha, beta: beta) }
                }
                store(0, (s00, s01, s02, s03))
                store(1, (s10, s11, s12, s13))
                store(2, (s20, s21, s22, s23))
                store(3, (s30, s31, s32, s33))
                j0 &+= 4
            }
            i0 &+= 4
        }
    }

    /// `Σ v[lane]` by halving, so that the additions are independent.
    @inline(__always)
    private static func horizontalSum(_ v: Float16Vector) -> Float {
        let eight = v.lowHalf + v.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }
}

/// How the unpacked kernels read operand values.
protocol OperandReading {
    static func scalar(_ x: Float) -> Float
    static func vector(_ x: Float16Vector) -> Float16Vector
}

/// As stored (the float32 path).
enum ExactValues: OperandReading {
    @inline(__always) static func scalar(_ x: Float) -> Float { x }
    @inline(__always) static func vector(_ x: Float16Vector) -> Float16Vector { x }
}

/// Rounded to bf16 (the bf16 paths).
enum RoundedToBF16: OperandReading {
    @inline(__always) static func scalar(_ x: Float) -> Float { BFloat16.round(x) }
    @inline(__always) static func vector(_ x: Float16Vector) -> Float16Vector {
        BFloat16.round(x)
    }
}
