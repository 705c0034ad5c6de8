/// The register-blocked inner kernel of `GEMM.multiply`.
///
/// One call computes an `mr × nr` (8 × 32) tile `T = Σₚ a(:, p) · b(p, :)` over a packed depth
/// of `kc`, entirely in registers: 16 `SIMD16<Float>` accumulators (8 rows × two 16-lane
/// halves) plus two `B` vectors and one broadcast `A` element stay within the 32 AVX-512
/// registers. Each depth step issues 16 fused multiply-adds against 2 vector loads and 8
/// scalar broadcasts, so the FMA units, not the loads, set the pace.

typealias Float16Vector = SIMD16<Float>

extension GEMM {
    /// Rows of a register tile (and of a packed `A` micro-panel).
    static let tileRows = 8
    /// Columns of a register tile (and of a packed `B` micro-panel): two 16-lane vectors.
    static let tileColumns = 32

    /// How an `A` micro-panel is laid out: element `(i, p)` lives at `i · rowStride + p · columnStride`.
    ///
    /// Packing copies contiguous runs in both cases: rows of a plain `A` (`rowMajor`, stride
    /// `kc` between rows) or `mr`-wide row segments of a stored-transposed `A` (`depthMajor`),
    /// so neither orientation needs an element-wise transpose. Whole 8-row tiles are not packed
    /// at all: the kernel reads a plain `A`'s rows `rowMajor` and a transposed `A`'s depth steps
    /// `depthMajor`, `lda` apart.
    enum PanelLayout {
        /// Rows `stride` apart: a packed panel's (`kc`), or a plain `A`'s own rows (`lda`).
        case rowMajor(stride: Int)
        /// Depth steps of 8 adjacent row values, `stride` apart: a packed panel's (8), or a
        /// transposed `A`'s own stored rows (`lda`).
        case depthMajor(stride: Int)
    }

    /// `C[0..<8, 0..<32] = alpha · T + beta · C (+ bias) (then max(·, 0) with relu)` for a full tile
    /// written straight into `C` (`beta == 0` never reads `C`), from a packed `A` micro-panel in
    /// `layout` and a packed `B` micro-panel; `bias` is the tile's 32 columns of it, or `nil`.
    @inline(__always)
    static func microKernel(
        layout: PanelLayout, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float, bias: UnsafePointer<Float>? = nil, relu: Bool = false
    ) {
        let store = TileStore(alpha: alpha, beta: beta, bias: bias, relu: relu)
        switch layout {
        case .rowMajor(let stride): rowMajorKernel(kc: kc, a: a, rowStride: stride, b: b, c: c, ldc: ldc, store: store)
        case .depthMajor(let stride): depthMajorKernel(kc: kc, a: a, depthStride: stride, b: b, c: c, ldc: ldc, store: store)
        }
    }

    /// How a tile's sums `T` reach `C`: `alpha · T + beta · C`, plus `bias` along the row, then
    /// rectified with `relu` (`GEMM.Epilogue` decides when the tile does this).
    struct TileStore {
        let alpha: Float, beta: Float
        let bias: UnsafePointer<Float>?
        let relu: Bool

        init(alpha: Float, beta: Float, bias: UnsafePointer<Float>? = nil, relu: Bool = false) {
            (self.alpha, self.beta, self.bias, self.relu) = (alpha, beta, bias, relu)
        }
    }

    /// `tileKernel` for `A` rows stored `rowStride` apart.
    @inline(never)
    static func rowMajorKernel(kc: Int, a: UnsafePointer<Float>, rowStride: Int, b: UnsafePointer<Float>,
                               c: UnsafeMutablePointer<Float>, ldc: Int, store: TileStore) {
        tileKernel(kc: kc, a: a, rowStride: rowStride, columnStride: 1, b: b, c: c, ldc: ldc, store: store)
    }

    /// `tileKernel` for `A` stored depth-major: the 8 row values of a depth step sit at constant
    /// offsets from one pointer, successive depth steps `depthStride` apart.
    @inline(never)
    static func depthMajorKernel(kc: Int, a: UnsafePointer<Float>, depthStride: Int, b: UnsafePointer<Float>,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, store: TileStore) {
        tileKernel(kc: kc, a: a, rowStride: 1, columnStride: depthStride, b: b, c: c, ldc: ldc, store: store)
    }

    /// The shared body: the accumulators are named locals rather than an array so that they are
    /// kept in registers for the whole depth loop.
    @inline(__always)
    static func tileKernel(
        kc: Int, a: UnsafePointer<Float>, rowStride rs: Int, columnStride cs: Int,
        b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, store: TileStore
    ) {
        typealias V = Float16Vector
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        var pa = a
        var pb = UnsafeRawPointer(b)
        let r1 = rs, r2 = rs &* 2, r3 = rs &* 3, r4 = rs &* 4, r5 = rs &* 5, r6 = rs &* 6, r7 = rs &* 7
        for _ in 0..<kc {
            // Packed B panels are 64-byte aligned and 128 bytes per depth step: aligned loads.
            let b0 = pb.load(as: V.self)
            let b1 = pb.load(fromByteOffset: 64, as: V.self)
            var x = V(repeating: pa[0])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = V(repeating: pa[r1])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = V(repeating: pa[r2])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = V(repeating: pa[r3])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = V(repeating: pa[r4])
            c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = V(repeating: pa[r5])
            c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
            x = V(repeating: pa[r6])
            c60 = c60.addingProduct(x, b0); c61 = c61.addingProduct(x, b1)
            x = V(repeating: pa[r7])
            c70 = c70.addingProduct(x, b0); c71 = c71.addingProduct(x, b1)
            pa += cs
            pb += 128
        }
        let s = ldc
        storeRow(c00, c01, c, store)
        storeRow(c10, c11, c + s, store)
        storeRow(c20, c21, c + s &* 2, store)
        storeRow(c30, c31, c + s &* 3, store)
        storeRow(c40, c41, c + s &* 4, store)
        storeRow(c50, c51, c + s &* 5, store)
        storeRow(c60, c61, c + s &* 6, store)
        storeRow(c70, c71, c + s &* 7, store)
    }

    /// `row[0..<32] = alpha · (low ‖ high) + beta · row (+ bias) (rectified)`; rows of `C` need not be aligned.
    @inline(__always)
    static func storeRow(_ low: Float16Vector, _ high: Float16Vector, _ row: UnsafeMutablePointer<Float>,
                         _ store: TileStore) {
        let raw = UnsafeMutableRawPointer(row)
        var x = low, y = high
        if store.alpha != 1 {
            x *= store.alpha
            y *= store.alpha
        }
        if store.beta != 0 {
            // beta == 0 must not read C: its old contents may be NaN.
            x = x.addingProduct(store.beta, raw.loadUnaligned(as: Float16Vector.self))
            y = y.addingProduct(store.beta, raw.loadUnaligned(fromByteOffset: 64, as: Float16Vector.self))
        }
        if let bias = store.bias {
            x += UnsafeRawPointer(bias).loadUnaligned(as: Float16Vector.self)
            y += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: 64, as: Float16Vector.self)
        }
        if store.relu {
            x = x.replacing(with: 0, where: x .< 0)
            y = y.replacing(with: 0, where: y .< 0)
        }
        raw.storeBytes(of: x, as: Float16Vector.self)
        raw.storeBytes(of: y, toByteOffset: 64, as: Float16Vector.self)
    }

    /// An edge tile: only `rows × columns` of the 8 × 32 tile lie inside `C`.
    ///
    /// The kernel writes the whole tile into `scratch` (packing padded the operands with
    /// zeros), then the valid part is merged into `C` (`mergeTile`).
    static func edgeKernel(
        layout: PanelLayout, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        rows: Int, columns: Int, c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float,
        bias: UnsafePointer<Float>? = nil, relu: Bool = false, scratch: UnsafeMutablePointer<Float>
    ) {
        microKernel(layout: layout, kc: kc, a: a, b: b, c: scratch, ldc: tileColumns, alpha: alpha, beta: 0)
        mergeTile(scratch, stride: tileColumns, rows: rows, columns: columns, into: c, ldc: ldc, alpha: 1, beta: beta,
                  bias: bias, relu: relu)
    }

    /// `C[i, j] = alpha · T[i, j] + beta · C[i, j] (+ bias[j]) (rectified)` for the live `rows ×
    /// columns` of a tile computed into scratch (`T`, rows `stride` apart), 16 lanes at a time with
    /// masked edges; `beta == 0` does not read `C`.
    static func mergeTile(_ tile: UnsafePointer<Float>, stride: Int, rows: Int, columns: Int,
                          into c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float,
                          bias: UnsafePointer<Float>? = nil, relu: Bool = false) {
        for i in 0..<rows {
            let source = tile + i &* stride, target = c + i &* ldc
            for j in Swift.stride(from: 0, to: columns, by: 16) {
                let w = Swift.min(16, columns &- j)
                var value = Vector.loadBlock(source + j, w, padding: 0) * alpha
                if beta != 0 { value += Vector.loadBlock(target + j, w, padding: 0) * beta }
                if let bias { value += Vector.loadBlock(bias + j, w, padding: 0) }
                if relu { value = value.replacing(with: 0, where: value .< 0) }
                Vector.storeBlock(value, target + j, w)
            }
        }
    }
}
