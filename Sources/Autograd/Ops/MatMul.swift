/// Matrix products, plain and batched, with either operand optionally transposed.
///
/// For `C = op(A)·op(B)` the pullbacks are `∂A = ∂C·op(B)ᵀ` and `∂B = op(A)ᵀ·∂C`, written
/// back in each operand's stored orientation; both accumulate into the gradients
/// through GEMM's `beta = 1`.

/// The shapes of one `op(A)·op(B)` product: `op(A)` is `[m, k]`, `op(B)` is `[k, n]`.
private struct ProductShape {
    let m: Int, n: Int, k: Int
    let transposeA: Bool, transposeB: Bool
    var lda: Int { transposeA ? m : k }
    var ldb: Int { transposeB ? k : n }

    /// `c[m, n] = op(a)·op(b) (+ bias on every row, then max(·, 0) with relu)`; `packedB`, if
    /// any, is `op(b)` packed.
    func forward(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                 bias: UnsafePointer<Float>? = nil, relu: Bool = false, packedB: PackedMatrix? = nil) {
        if let packedB {
            GEMM.multiply(transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda,
                          packedB: packedB, fallback: b, ldb: ldb, c: c, ldc: n, bias: bias, relu: relu)
            return
        }
        GEMM.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: n, bias: bias, relu: relu)
    }

    /// `∂A += ∂C·op(B)ᵀ`, stored as `A` is; `packedBᵀ`, if any, is `op(b)ᵀ` packed.
    func gradientA(_ dc: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ da: UnsafeMutablePointer<Float>,
                   beta: Float, packedBᵀ: PackedMatrix? = nil) {
        if transposeA {  // A is stored [k, m]: ∂A = op(B)·∂Cᵀ
            GEMM.multiply(transposeA: transposeB, transposeB: true, m: k, n: m, k: n,
                          a: b, lda: ldb, b: dc, ldb: n, beta: beta, c: da, ldc: m)
        } else if let packedBᵀ {
            GEMM.multiply(transposeA: false, m: m, n: k, k: n, a: dc, lda: n,
                          packedB: packedBᵀ, fallback: b, ldb: ldb, beta: beta, c: da, ldc: k)
        } else {
            GEMM.multiply(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n,
                          a: dc, lda: n, b: b, ldb: ldb, beta: beta, c: da, ldc: k)
        }
    }

    /// `∂B += op(A)ᵀ·∂C`, stored as `B` is.
    func gradientB(_ dc: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ db: UnsafeMutablePointer<Float>, beta: Float) {
        if transposeB {  // B is stored [n, k]: ∂B = ∂Cᵀ·op(A)
            GEMM.multiply(transposeA: true, transposeB: transposeA, m: n, n: k, k: m,
                          a: dc, lda: n, b: a, ldb: lda, beta: beta, c: db, ldc: k)
        } else {
            GEMM.multiply(transposeA: !transposeA, transposeB: false, m: k, n: n, k: m,
                          a: a, lda: lda, b: dc, ldb: n, beta: beta, c: db, ldc: n)
        }
    }
}

extension Tensor {
    /// `op(self)·op(other)`.
    ///
    /// - Parameters:
    ///   - self: `[M, K]` (`[K, M]` when `transposeA`); without a transpose it may have more
    ///     leading axes, `[…, K]`, which are treated as rows (a linear layer over `[B, S, E]`).
    ///   - other: `[K, N]` (`[N, K]` when `transposeB`).
    /// - Returns: `[M, N]`, or `[…, N]` for a higher-rank `self`.
    public func matmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        product(other, transposeA: transposeA, transposeB: transposeB, bias: nil, kind: .matmul)
    }

    /// `self · Wᵀ + b`, PyTorch's `F.linear`: `self` `[…, in]`, `weight` `[out, in]`, `bias` `[out]`.
    ///
    /// The same as `matmul(weight, transposeB: true) + bias` in one op: the product adds the bias
    /// (the AVX512-BF16 tile as it stores, other kernels to rows seeded with it), so there is no
    /// separate pass over the output, and the pullback sums `∂b = Σ_rows ∂y` where it finds `∂y`,
    /// deferred with `∂W` when that waits for the end of the pass.
    public func linear(_ weight: Tensor, bias: Tensor?) -> Tensor { affine(weight, bias: bias, kind: .linear) }

    /// `relu(self · Wᵀ + b)`, a linear layer and its ReLU in one op (a Transformer's first
    /// feed-forward layer): the AVX512-BF16 tile rectifies as it stores, so the activation is
    /// written once, not written, read and written again. The pullback masks the gradient,
    /// `∂z = ∂y ⊙ [y > 0]`, and goes on as `linear`'s with `∂z`.
    public func linearReLU(_ weight: Tensor, bias: Tensor?) -> Tensor { affine(weight, bias: bias, kind: .linearReLU) }

    /// `self · W[rows]ᵀ + b[rows]`: a linear layer made of a block of the rows of `weight` `[R, in]`
    /// and of `bias` `[R]`, read where they lie. A fused projection (`[3D, D]`, query rows first)
    /// applies its query part, or its key and value parts, without slicing the parameters: no
    /// copies forward, no scatter of their gradients back, and the block is packed once per
    /// `withFrozenParameters` scope as a whole parameter is. Gradients add into those rows.
    public func linear(_ weight: Tensor, rows: Range<Int>, bias: Tensor?) -> Tensor {
        precondition(weight.rank == 2 && rows.lowerBound >= 0 && rows.upperBound <= weight.shape[0] && !rows.isEmpty,
                     "linear: rows \(rows) of weight \(weight.shape)")
        return affine(weight, rows: rows, bias: bias, kind: .linear)
    }

    /// `self · Wᵀ + b` as `kind` (`.linear` or `.linearReLU`), with only `rows` of `W` and `b` when given.
    private func affine(_ weight: Tensor, rows: Range<Int>? = nil, bias: Tensor?, kind: OpKind) -> Tensor {
        if let bias {
            precondition(bias.rank == 1 && weight.rank == 2 && bias.count == weight.shape[0],
                         "\(kind): bias \(bias.shape) for weight \(weight.shape)")
        }
        return product(weight, transposeA: false, transposeB: true, rows: rows, bias: bias, kind: kind)
    }

    /// `op(self)·op(other)`, plus `bias` along every row when given (only without `transposeA`),
    /// rectified for `.linearReLU`. With `rows` (only with `transposeB`), `other` `[R, k]` and
    /// `bias` `[R]` take part through those rows only.
    private func product(_ other: Tensor, transposeA: Bool, transposeB: Bool, rows: Range<Int>? = nil, bias: Tensor?,
                         kind: OpKind) -> Tensor {
        let a = self, b = other
        precondition(b.rank == 2 && (a.rank == 2 || (a.rank > 2 && !transposeA)) && (rows == nil || transposeB),
                     "matmul: shapes \(a.shape) and \(b.shape)")
        let aRows = a.count / a.shape[a.rank - 1], aColumns = a.shape[a.rank - 1]
        let (m, k) = transposeA ? (aColumns, aRows) : (aRows, aColumns)
        let (bk, n) = transposeB ? (b.shape[1], rows?.count ?? b.shape[0]) : (b.shape[0], b.shape[1])
        precondition(k == bk, "matmul: inner extents differ, \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        // The block of `other`'s rows (and of the bias) in use: `bOffset` floats in, `biasOffset` in.
        let biasOffset = rows?.lowerBound ?? 0, bOffset = biasOffset * b.shape[1]
        let product = ProductShape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        let outShape = a.rank > 2 ? Array(a.shape.dropLast()) + [n] : [m, n]
        let out = Tensor(uninitializedShape: outShape)
        // A parameter's packed form is kept for the scope's later products (`withFrozenParameters`).
        let relu = kind == .linearReLU
        product.forward(a.data, b.data + bOffset, out.data, bias: bias.map { UnsafePointer($0.data + biasOffset) }, relu: relu,
                        packedB: FrozenParameters.packed(b, transposed: transposeB, rows: rows))
        let inputs = bias.map { [a, b, $0] } ?? [a, b]
        return Tape.record(kind, output: out, inputs: inputs) { outputGradient in
            // ∂z = ∂y ⊙ [y > 0] before the ReLU, masked where ∂y lies: see `rectifyGradient`.
            let gradient = relu ? out.rectifyGradient(outputGradient) : outputGradient
            // A fresh gradient buffer is written (β = 0), not zero-filled and added to.
            if a.requiresGrad {
                let (da, beta) = a.productGradientBuffer()
                product.gradientA(gradient.data, b.data + bOffset, da, beta: beta,
                                  packedBᵀ: transposeA ? nil : FrozenParameters.packed(b, transposed: !transposeB, rows: rows))
            }
            let biasGradient = bias.flatMap { $0.requiresGrad ? $0 : nil }
            if let rows {  // a block of rows adds into its rows of zero-filled gradients, at once
                if b.requiresGrad { product.gradientB(gradient.data, a.data, b.gradientPointer() + bOffset, beta: 1) }
                biasGradient?.addBiasGradient(summing: gradient.data, rows: m, into: rows)
                return
            }
            // A parameter's gradient from a few rows (a recurrent step's) waits for the end of the
            // pass, to be summed in one product; a large piece is multiplied now, while ∂C is warm.
            if b.requiresGrad, !transposeA, b.tapeIndex < 0, m < DeferredWeightGradients.largePiece,
               let deferred = DeferredWeightGradients.active {
                deferred.add(weight: b, transposed: transposeB, k: k, n: n, bias: biasGradient,
                             piece: .init(input: a, outputGradient: gradient, rows: m))
                return
            }
            if b.requiresGrad {
                let (db, beta) = b.productGradientBuffer()
                product.gradientB(gradient.data, a.data, db, beta: beta)
            }
            biasGradient?.addBiasGradient(summing: gradient.data, rows: m)
        }
    }

    /// `g ⊙ [self > 0]` for `self` the output of a ReLU, written over `g` (and `g` returned).
    ///
    /// The one pullback that writes into the gradient it receives, which is safe for the same
    /// reason adopting one is (`accumulateGradient`): the gradient of an op's output is held by
    /// that output alone, its storage shared with no live gradient but through the adoptions
    /// that brought it here, whose sources the tape has already dropped, and the tape drops it
    /// when this pullback returns. Masking in place spares a fresh `[rows, 4D]` buffer and its
    /// first writes (the Transformer's feed-forward layers).
    private func rectifyGradient(_ g: Tensor) -> Tensor {
        let y = Vector.Operand.full(data, count), gradient = Vector.Operand.full(g.data, count)
        Vector.map(Lane.ReluGradient.self, rows: 1, n: count, gradient, y, y, into: g.data, accumulate: false)
        return g
    }

    /// `∂b (+)= Σ_r ∂C[r, ·]` into this bias's gradient, for `∂C` `[rows, count]`.
    func addBiasGradient(summing gradient: UnsafePointer<Float>, rows: Int) {
        addBiasGradient(summing: StackedRows(pieces: [(gradient, rows)], ld: count))
    }

    /// `∂b[rows] += Σ_r ∂C[r, ·]` for `∂C` `[rowCount, rows.count]`, the other elements left as
    /// they are (zeros in a fresh gradient).
    func addBiasGradient(summing gradient: UnsafePointer<Float>, rows rowCount: Int, into rows: Range<Int>) {
        let target = gradientPointer() + rows.lowerBound
        Vector.columnSums(StackedRows(pieces: [(gradient, rowCount)], ld: rows.count), n: rows.count, into: target, accumulate: true)
    }

    /// The same for `∂C` held as pieces of its rows, summed in their order.
    func addBiasGradient(summing gradient: StackedRows) {
        let (target, accumulate) = gradientBuffer()
        Vector.columnSums(gradient, n: count, into: target, accumulate: accumulate)
    }

    /// A batch of products `op(self[i])·op(other[i])`.
    ///
    /// - Parameters:
    ///   - self: `[…, M, K]` (`[…, K, M]` when `transposeA`).
    ///   - other: `[…, K, N]` (`[…, N, K]` when `transposeB`), the same leading axes.
    /// - Returns: `[…, M, N]`.
    public func batchedMatmul(_ other: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let a = self, b = other
        precondition(a.rank >= 3 && a.rank == b.rank && a.shape.dropLast(2) == b.shape.dropLast(2),
                     "batchedMatmul: shapes \(a.shape) and \(b.shape)")
        let batch = a.shape.dropLast(2).reduce(1, *)
        let (m, k) = transposeA ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (bk, n) = transposeB ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
        precondition(k == bk, "batchedMatmul: inner extents differ, \(a.shape) · \(b.shape)")
        let product = ProductShape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        let out = Tensor(uninitializedShape: Array(a.shape.dropLast(2)) + [m, n])
        let aSize = m * k, bSize = k * n, cSize = m * n
        for i in 0..<batch {
            product.forward(a.data + i * aSize, b.data + i * bSize, out.data + i * cSize)
        }
        return Tape.record(.batchedMatmul, output: out, inputs: [a, b]) { gradient in
            let dc = gradient.data
            // The blocks cover each gradient once: a fresh buffer is written (β = 0).
            if a.requiresGrad {
                let (da, beta) = a.productGradientBuffer()
                for i in 0..<batch { product.gradientA(dc + i * cSize, b.data + i * bSize, da + i * aSize, beta: beta) }
            }
            if b.requiresGrad {
                let (db, beta) = b.productGradientBuffer()
                for i in 0..<batch { product.gradientB(dc + i * cSize, a.data + i * aSize, db + i * bSize, beta: beta) }
            }
        }
    }
}
