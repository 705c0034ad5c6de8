/// One-dimensional convolution over the time axis, as one matrix product over an unfolded
/// input (the "im2col" form), so that it runs on the engine's GEMM:
///
///     y[b, t, o] = Σ_{i < k} Σ_c x[b, t + i − p_l, c] · W[i, c, o]        (x = 0 outside 0 ..< T)
///
/// The input is unfolded into `U [B·T', k·C_in]`, `U[(b, t), i·C_in + c] = x[b, t + i − p_l, c]`,
/// and `Y = U · W` with `W` read as `[k·C_in, C_out]`, which is exactly how fairseq's `ConvTBC`
/// stores its weight (`[k, C_in, C_out]`; Gehring et al. 2017 use it for their convolutions).
/// `T' = T + p_l + p_r − k + 1`. With `p_l = k − 1, p_r = 0` the convolution is causal: output `t`
/// reads inputs `t − k + 1 … t` only (the decoder's convolutions, §3.2).
///
/// Pullback, with `G = ∂Y [B·T', C_out]`: `∂W += Uᵀ G` (one product), `∂U = G Wᵀ` (one product),
/// and `∂x` is `∂U` folded back: `∂x[b, t + i − p_l, c] += ∂U[(b, t), i·C_in + c]` for every
/// position inside the input (the padding's share is dropped).
extension Tensor {
    /// - Parameters:
    ///   - self: `[B, T, C_in]`.
    ///   - weight: `[k, C_in, C_out]`.
    ///   - padding: zero positions added before the first and after the last input position.
    /// - Returns: `[B, T + left + right − k + 1, C_out]`, recorded on the tape (differentiable in
    ///   the input and the weight). A bias, if any, is added by the caller.
    public func convolved(with weight: Tensor, padding: (left: Int, right: Int)) -> Tensor {
        precondition(rank == 3 && weight.rank == 3 && weight.shape[1] == shape[2],
                     "convolved: input \(shape), weight \(weight.shape) (expected [B, T, C] and [k, C, C_out])")
        let layout = UnfoldedLayout(batch: shape[0], length: shape[1], channels: shape[2], width: weight.shape[0],
                                    left: padding.left, right: padding.right)
        precondition(padding.left >= 0 && padding.right >= 0 && layout.outputLength > 0,
                     "convolved: \(shape[1]) positions padded by \(padding) are fewer than the kernel width \(weight.shape[0])")
        let x = self, outputs = weight.shape[2]
        let rows = layout.rows, depth = layout.depth
        let unfolded = Tensor(uninitializedShape: [rows, depth])
        layout.unfold(x.data, into: unfolded.data)
        let out = Tensor(uninitializedShape: [layout.batch, layout.outputLength, outputs])
        GEMM.multiply(transposeA: false, transposeB: false, m: rows, n: outputs, k: depth,
                      a: unfolded.data, lda: depth, b: weight.data, ldb: outputs, beta: 0, c: out.data, ldc: outputs)
        return Tape.record(.convolution, output: out, inputs: [x, weight]) { gradient in
            if weight.requiresGrad {  // ∂W += Uᵀ G
                let (dw, beta) = weight.productGradientBuffer()
                GEMM.multiply(transposeA: true, transposeB: false, m: depth, n: outputs, k: rows,
                              a: unfolded.data, lda: depth, b: gradient.data, ldb: outputs, beta: beta, c: dw, ldc: outputs)
            }
            if x.requiresGrad {  // ∂U = G Wᵀ, folded back onto the input positions
                let du = Tensor(uninitializedShape: [rows, depth])
                GEMM.multiply(transposeA: false, transposeB: true, m: rows, n: depth, k: outputs,
                              a: gradient.data, lda: outputs, b: weight.data, ldb: outputs, beta: 0, c: du.data, ldc: depth)
                layout.fold(du.data, into: x.gradientPointer())
            }
        }
    }
}

/// Where each row of the unfolded input `U [B·T', k·C]` reads from `x [B, T, C]`.
private struct UnfoldedLayout {
    let batch: Int, length: Int, channels: Int, width: Int, left: Int, right: Int

    /// `T'`.
    var outputLength: Int { length + left + right - width + 1 }
    var rows: Int { batch * outputLength }
    /// `k·C`, the product's inner extent.
    var depth: Int { width * channels }

    /// Calls `body(u, x)` for every block of `C` that reads an input position: `u` the offset in
    /// `U`, `x` the offset in the input; blocks over padding are passed as `x = nil`.
    private func forEachBlock(_ body: (_ u: Int, _ x: Int?) -> Void) {
        for b in 0..<batch {
            for t in 0..<outputLength {
                let row = (b &* outputLength &+ t) &* depth
                for i in 0..<width {
                    let source = t &+ i &- left
                    body(row &+ i &* channels, source >= 0 && source < length ? (b &* length &+ source) &* channels : nil)
                }
            }
        }
    }

    /// `U[(b, t), i·C + c] = x[b, t + i − left, c]`, 0 over the padding.
    func unfold(_ x: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        forEachBlock { uOffset, xOffset in
            if let xOffset {
                (u + uOffset).update(from: x + xOffset, count: channels)
            } else {
                (u + uOffset).update(repeating: 0, count: channels)
            }
        }
    }

    /// `∂x[b, t + i − left, c] += ∂U[(b, t), i·C + c]` inside the input.
    func fold(_ du: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        forEachBlock { uOffset, xOffset in
            guard let xOffset else { return }
            let source = du + uOffset, target = dx + xOffset
            for c in 0..<channels { target[c] += source[c] }
        }
    }
}
