/// Row kernels for element-wise functions of up to three operands laid out as `[rows, n]`,
/// where each operand is either full (one value per element), a *row* repeated over the rows
/// (a bias `[n]` over `[rows, n]`), or a *column* with one value per row repeated along it
/// (a mask `[rows, 1]`). The binary ops and their pullbacks are written once over these, as a
/// `LaneFunction` applied 16 lanes at a time; `−0`, NaN and infinities pass as in scalar code.
///
/// Each output element is computed inside one piece of the `Parallel` split with the same
/// instructions wherever the piece boundary falls (a partial block is run zero-padded, as in
/// `Elementwise.swift`), so results do not depend on the thread count.
extension Vector {
    /// One operand of a row kernel: element `(r, j)` is `base[r·rowStride + j]`, or
    /// `base[r·rowStride]` for every `j` when `isColumn`.
    struct Operand {
        let base: UnsafePointer<Float>
        let rowStride: Int
        let isColumn: Bool

        /// One value per element of `[rows, n]`.
        static func full(_ p: UnsafePointer<Float>, _ n: Int) -> Operand { Operand(base: p, rowStride: n, isColumn: false) }
        /// `[n]`, the same for every row.
        static func row(_ p: UnsafePointer<Float>) -> Operand { Operand(base: p, rowStride: 0, isColumn: false) }
        /// `[rows]`, one value per row.
        static func column(_ p: UnsafePointer<Float>) -> Operand { Operand(base: p, rowStride: 1, isColumn: true) }
    }

    /// Elements per piece of the row kernels below which they stay on the calling thread.
    static let rowKernelGrain = Parallel.elementGrain

    /// `out[r, j] (+)= F(x[r, j], y[r, j], z[r, j])` over `[rows, n]` (`out` contiguous, row
    /// stride `n`); `+=` when `accumulate`, else `=`. Split over rows, or over columns when there
    /// are fewer rows than pieces.
    static func map<F: LaneFunction>(_: F.Type, rows: Int, n: Int, _ x: Operand, _ y: Operand, _ z: Operand,
                                     into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let pieces = Parallel.pieces(rows &* n, grain: rowKernelGrain)
        if pieces == 1 {
            for r in 0..<rows { mapRow(F.self, r, 0..<n, x, y, z, out + r &* n, accumulate) }
        } else if rows >= pieces {
            Parallel.forEachRange(rows, grain: 1, alignment: 1) { range in
                for r in range { mapRow(F.self, r, 0..<n, x, y, z, out + r &* n, accumulate) }
            }
        } else {
            Parallel.forEachRange(n, grain: 16) { columns in
                for r in 0..<rows { mapRow(F.self, r, columns, x, y, z, out + r &* n, accumulate) }
            }
        }
    }

    /// `out[j] (+)= Σ_r x[r, j]` over a contiguous `[rows, n]`: a bias's gradient.
    static func columnSums(_ x: UnsafePointer<Float>, rows: Int, n: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        columnSums(StackedRows(pieces: [(x, rows)], ld: n), n: n, into: out, accumulate: accumulate)
    }

    /// `out[j] (+)= Σ_r x[r, j]` over the rows of every piece, in order: the same sums, bit for
    /// bit, as over the pieces copied together.
    static func columnSums(_ x: StackedRows, n: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let runs = x.pieces.map { piece in
            let all = Operand.full(piece.base, x.ld)
            return (all, all, all, piece.rows)
        }
        columnSums(Lane.Pass.self, runs: runs, n: n, into: out, accumulate: accumulate)
    }

    /// `out[j] (+)= Σ_r F(x[r, j], y[r, j], z[r, j])` for `j < n`: the gradient of an operand
    /// broadcast as a row (no operand may be a column here). Split over 16-aligned column
    /// blocks, each summed over the rows in order, so no sum is cut between threads.
    static func columnSums<F: LaneFunction>(_: F.Type, rows: Int, n: Int, _ x: Operand, _ y: Operand, _ z: Operand,
                                            into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        columnSums(F.self, runs: [(x, y, z, rows)], n: n, into: out, accumulate: accumulate)
    }

    /// The same over runs of rows one after another, each with its own operands (the pieces of
    /// a `StackedRows`), every column summed through all runs in order.
    static func columnSums<F: LaneFunction>(_: F.Type, runs: [(x: Operand, y: Operand, z: Operand, rows: Int)], n: Int,
                                            into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        precondition(!runs.contains { $0.x.isColumn || $0.y.isColumn || $0.z.isColumn }, "columnSums: a column operand")
        let rows = runs.reduce(0) { $0 + $1.rows }
        Parallel.forEachRange(n, grain: Swift.max(16, rowKernelGrain / Swift.max(rows, 1))) { columns in
            var j = columns.lowerBound
            // Four blocks at once: four independent sums in flight.
            while j &+ 64 <= columns.upperBound {
                var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes()
                for (x, y, z, rows) in runs {
                    var xr = x.base + j, yr = y.base + j, zr = z.base + j
                    for _ in 0..<rows {
                        s0 += F.apply(load(xr), load(yr), load(zr))
                        s1 += F.apply(load(xr + 16), load(yr + 16), load(zr + 16))
                        s2 += F.apply(load(xr + 32), load(yr + 32), load(zr + 32))
                        s3 += F.apply(load(xr + 48), load(yr + 48), load(zr + 48))
                        xr += x.rowStride
                        yr += y.rowStride
                        zr += z.rowStride
                    }
                }
                finish(s0, out + j, accumulate)
                finish(s1, out + (j &+ 16), accumulate)
                finish(s2, out + (j &+ 32), accumulate)
                finish(s3, out + (j &+ 48), accumulate)
                j &+= 64
            }
            while j < columns.upperBound {
                let width = Swift.min(16, columns.upperBound &- j)
                var s = Lanes()
                for (x, y, z, rows) in runs {
                    var xr = x.base + j, yr = y.base + j, zr = z.base + j
                    for _ in 0..<rows {
                        s += F.apply(loadBlock(xr, width, padding: 0), loadBlock(yr, width, padding: 0),
                                     loadBlock(zr, width, padding: 0))
                        xr += x.rowStride
                        yr += y.rowStride
                        zr += z.rowStride
                    }
                }
                if width == 16 {
                    finish(s, out + j, accumulate)
                } else {
                    let o = out + j
                    storePartial(accumulate ? s + loadPartial(o, width, padding: 0) : s, o, width)
                }
                j &+= 16
            }
        }
    }

    /// `out[r] (+)= Σ_j F(x[r, j], y[r, j], z[r, j])` for `r < rows`: the gradient of an operand
    /// broadcast as a column. Split over rows; each row is summed whole by one thread.
    static func rowSums<F: LaneFunction>(_: F.Type, rows: Int, n: Int, _ x: Operand, _ y: Operand, _ z: Operand,
                                         into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        Parallel.forEachRange(rows, grain: Swift.max(1, rowKernelGrain / Swift.max(n, 1)), alignment: 1) { range in
            withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 3) { splats in
                for r in range {
                    let xs = x.resolved(r, splats.baseAddress!), ys = y.resolved(r, splats.baseAddress! + 1)
                    let zs = z.resolved(r, splats.baseAddress! + 2)
                    var s0 = Lanes(), s1 = Lanes()
                    var j = 0
                    while j &+ 32 <= n {
                        s0 += F.apply(xs[j], ys[j], zs[j])
                        s1 += F.apply(xs[j &+ 16], ys[j &+ 16], zs[j &+ 16])
                        j &+= 32
                    }
                    while j < n {
                        let width = Swift.min(16, n &- j)
                        let v = width == 16 ? F.apply(xs[j], ys[j], zs[j]) : F.apply(xs[j, width], ys[j, width], zs[j, width])
                        // Padded lanes may hold anything (0/0 in a quotient's rule): leave them out.
                        s0 += width == 16 ? v : v.replacing(with: 0, where: laneIndices .>= Bits(repeating: Int32(width)))
                        j &+= 16
                    }
                    let total = laneSum(s0 + s1)
                    out[r] = accumulate ? out[r] + total : total
                }
            }
        }
    }

    /// `0, 1, …, 15`.
    static let laneIndices = Bits(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    @inline(__always)
    private static func finish(_ v: Lanes, _ p: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        store(accumulate ? load(p) + v : v, p)
    }

    @inline(__always)
    private static func mapRow<F: LaneFunction>(_: F.Type, _ r: Int, _ columns: Range<Int>,
                                                _ x: Operand, _ y: Operand, _ z: Operand,
                                                _ out: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 3) { splats in
            let xs = x.resolved(r, splats.baseAddress!), ys = y.resolved(r, splats.baseAddress! + 1)
            let zs = z.resolved(r, splats.baseAddress! + 2)
            var j = columns.lowerBound
            let end = columns.upperBound
            if accumulate {
                while j &+ 16 <= end {
                    store(load(out + j) + F.apply(xs[j], ys[j], zs[j]), out + j)
                    j &+= 16
                }
            } else {
                while j &+ 16 <= end {
                    store(F.apply(xs[j], ys[j], zs[j]), out + j)
                    j &+= 16
                }
            }
            if j < end {
                let width = end &- j
                let v = F.apply(xs[j, width], ys[j, width], zs[j, width])
                storePartial(accumulate ? loadPartial(out + j, width, padding: 0) + v : v, out + j, width)
            }
        }
    }
}

/// One row of an `Operand`, read without a branch: a column's value is splatted into a
/// 16-lane block that every index reads (`mask` 0), a row's elements are read in place.
struct ResolvedRow {
    let base: UnsafePointer<Float>
    let mask: Int

    /// Lanes `j ..< j + 16`.
    @inline(__always)
    subscript(_ j: Int) -> Vector.Lanes { Vector.load(base + (j & mask)) }

    /// Lanes `j ..< j + width` (`width ≤ 16`), the rest zero.
    @inline(__always)
    subscript(_ j: Int, _ width: Int) -> Vector.Lanes { Vector.loadPartial(base + (j & mask), width, padding: 0) }
}

extension Vector.Operand {
    /// Row `r`, a column's value splatted into `splat`.
    @inline(__always)
    func resolved(_ r: Int, _ splat: UnsafeMutablePointer<Vector.Lanes>) -> ResolvedRow {
        if isColumn {
            splat.initialize(to: Vector.Lanes(repeating: base[r &* rowStride]))
            return ResolvedRow(base: UnsafeRawPointer(splat).assumingMemoryBound(to: Float.self), mask: 0)
        }
        return ResolvedRow(base: base + r &* rowStride, mask: ~0)
    }
}

/// A function of three 16-lane operands, applied by the row kernels (the unused ones are not
/// read once the kernel is specialised and inlined).
protocol LaneFunction {
    static func apply(_ x: Vector.Lanes, _ y: Vector.Lanes, _ z: Vector.Lanes) -> Vector.Lanes
}
