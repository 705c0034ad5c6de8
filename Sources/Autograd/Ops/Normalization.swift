/// Layer normalisation over the last axis (Ba, Kiros & Hinton 2016).
extension Tensor {
    /// `y = γ ⊙ (x − μ) / √(σ² + ε) + β`, with `μ`, `σ²` the mean and (biased) variance of
    /// each last-axis row.
    ///
    /// With `x̂ = (x − μ)/s`, `s = √(σ² + ε)` and `ĝ = g ⊙ γ`, the pullback is
    /// `∂x = (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / s`, `∂γ = Σ_rows g ⊙ x̂`, `∂β = Σ_rows g`.
    ///
    /// Rows run as SIMD row kernels split over the `Parallel` pool. The pullback makes one pass
    /// over each row for `∂x` and for its share of `∂γ`, `∂β`, summed per chunk of
    /// `LayerNormRows.chunk` rows; the chunks' sums are added in chunk order, so the thread
    /// count changes no bit.
    /// - Parameters:
    ///   - self: `[…, D]`.
    ///   - gain: γ, `[D]`.
    ///   - bias: β, `[D]`.
    public func layerNorm(gain: Tensor, bias: Tensor, epsilon: Float = 1e-5) -> Tensor {
        layerNorm(of: [self], gain: gain, bias: bias, epsilon: epsilon)
    }

    /// `layerNorm(self + residual)`, the post-norm Transformer's `LayerNorm(x + Sublayer(x))`,
    /// in one op: each row's sum is formed in a row buffer as it is normalised, never stored, and
    /// the pullback writes `∂(x + r)` into both gradients from the same row.
    public func layerNorm(adding residual: Tensor, gain: Tensor, bias: Tensor, epsilon: Float = 1e-5) -> Tensor {
        precondition(residual.shape == shape, "layerNorm(adding:): x \(shape), residual \(residual.shape)")
        return layerNorm(of: [self, residual], gain: gain, bias: bias, epsilon: epsilon)
    }

    /// The layer norm of the sum of `terms` (one or two tensors of the same shape).
    private func layerNorm(of terms: [Tensor], gain: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let width = shape.last ?? 1
        precondition(gain.shape == [width] && bias.shape == [width], "layerNorm: x \(shape), gain \(gain.shape), bias \(bias.shape)")
        let rows = count / width
        let normalized = Tensor(uninitializedShape: shape)  // x̂, kept for the pullback
        let inverseDeviation = Tensor(uninitializedShape: [rows])  // 1/s per row
        let out = Tensor(uninitializedShape: shape)
        Parallel.forEachRange(rows, grain: Swift.max(1, Parallel.elementGrain / Swift.max(width, 1)), alignment: 1) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: terms.count > 1 ? width : 0) { sum in
                for r in range {
                    let offset = r &* width
                    var x = UnsafePointer(terms[0].data + offset)
                    if terms.count > 1 {
                        Vector.add(x, terms[1].data + offset, sum.baseAddress!, width)
                        x = UnsafePointer(sum.baseAddress!)
                    }
                    inverseDeviation.data[r] = LayerNormRows.forward(x, gain.data, bias.data, epsilon: epsilon,
                                                                     normalized.data + offset, out.data + offset, width)
                }
            }
        }
        var inputs = terms.first === terms.last ? [terms[0]] : terms
        inputs += [gain, bias]
        return Tape.record(.layerNorm, output: out, inputs: inputs) { gradient in
            LayerNormRows.backward(rows: rows, width: width, g: gradient.data, normalized: normalized.data,
                                   inverseDeviation: inverseDeviation.data, terms: terms, gain: gain, bias: bias)
        }
    }
}

/// The row kernels of `layerNorm`.
enum LayerNormRows {
    typealias Lanes = Vector.Lanes

    /// Rows per partial sum of `∂γ`, `∂β` in the pullback.
    static let chunk = 32

    /// `x̂ = (x − μ)·(1/s)`, `y = x̂ ⊙ γ + β` for one row; returns `1/s`. Whole 16-lane
    /// blocks first, then the partial block zero-padded (and masked out of the variance).
    @inline(__always)
    static func forward(_ x: UnsafePointer<Float>, _ gain: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                        epsilon: Float, _ normalized: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        _ width: Int) -> Float {
        let whole = width & ~15, rest = width &- whole
        let mean = Vector.sum(x, width) / Float(width)
        var s0 = Lanes(), s1 = Lanes()
        var d = 0
        while d &+ 32 <= whole {
            let c0 = Vector.load(x + d) - mean, c1 = Vector.load(x + (d &+ 16)) - mean
            s0 = s0.addingProduct(c0, c0)
            s1 = s1.addingProduct(c1, c1)
            d &+= 32
        }
        if d < whole {
            let c = Vector.load(x + d) - mean
            s0 = s0.addingProduct(c, c)
        }
        if rest > 0 {
            let c = Vector.loadPartial(x + whole, rest, padding: mean) - mean  // padded lanes are 0
            s1 = s1.addingProduct(c, c)
        }
        let inverse = 1 / (Vector.laneSum(s0 + s1) / Float(width) + epsilon).squareRoot()
        d = 0
        while d < whole {
            let n = (Vector.load(x + d) - mean) * inverse
            Vector.store(n, normalized + d)
            Vector.store(Vector.load(bias + d).addingProduct(n, Vector.load(gain + d)), y + d)
            d &+= 16
        }
        if rest > 0 {
            let n = (Vector.loadPartial(x + d, rest, padding: 0) - mean) * inverse
            Vector.storePartial(n, normalized + d, rest)
            let b = Vector.loadPartial(bias + d, rest, padding: 0), g = Vector.loadPartial(gain + d, rest, padding: 0)
            Vector.storePartial(b.addingProduct(n, g), y + d, rest)
        }
        return inverse
    }

    /// `∂x` goes to every term of the normalised sum (twice to one passed twice).
    static func backward(rows: Int, width: Int, g: UnsafePointer<Float>, normalized: UnsafePointer<Float>,
                         inverseDeviation: UnsafePointer<Float>, terms: [Tensor], gain: Tensor, bias: Tensor) {
        // Made here, on the calling thread, in order: a term passed twice is stored into, then added to.
        let targets = terms.compactMap { $0.requiresGrad ? $0.gradientBuffer() : nil }
        let wantsParameters = gain.requiresGrad || bias.requiresGrad
        let chunks = Parallel.fixedChunks(rows, chunkSize: chunk)
        // Per chunk: Σ g ⊙ x̂ (width), then Σ g (width).
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: wantsParameters ? chunks &* 2 &* width : 1)
        defer { partials.deallocate() }
        let gamma = UnsafePointer(gain.data)
        Parallel.forEachFixedChunk(rows, chunkSize: chunk, grain: Swift.max(1, Parallel.elementGrain / Swift.max(width, 1))) { c, range in
            let sumGN = partials + c &* 2 &* width, sumG = sumGN + width
            if wantsParameters {
                sumGN.update(repeating: 0, count: 2 &* width)
            }
            for r in range {
                let offset = r &* width
                if wantsParameters { accumulateParameterGradients(g + offset, normalized + offset, sumGN, sumG, width) }
                // ∂(x + r) once, into each term's gradient (at most two terms).
                if let first = targets.first {
                    let second = targets.count > 1 ? (pointer: targets[1].pointer + offset, accumulate: targets[1].accumulate) : nil
                    inputGradient(g + offset, normalized + offset, gamma, inverseDeviation[r],
                                  into: (first.pointer + offset, first.accumulate), and: second, width)
                }
            }
        }
        guard wantsParameters else { return }
        for (parameter, offset) in [(gain, 0), (bias, width)] where parameter.requiresGrad {
            let (target, accumulate) = parameter.gradientBuffer()
            if !accumulate { target.update(repeating: 0, count: width) }
            for c in 0..<chunks { Vector.add(target, partials + (c &* 2 &* width &+ offset), target, width) }
        }
    }

    /// `sumGN += g ⊙ x̂`, `sumG += g` for one row.
    @inline(__always)
    static func accumulateParameterGradients(_ g: UnsafePointer<Float>, _ n: UnsafePointer<Float>,
                                             _ sumGN: UnsafeMutablePointer<Float>, _ sumG: UnsafeMutablePointer<Float>, _ width: Int) {
        let whole = width & ~15
        var d = 0
        while d < whole {
            let gv = Vector.load(g + d)
            Vector.store(Vector.load(sumGN + d).addingProduct(gv, Vector.load(n + d)), sumGN + d)
            Vector.store(Vector.load(sumG + d) + gv, sumG + d)
            d &+= 16
        }
        if d < width {
            let w = width &- d, gv = Vector.loadPartial(g + d, w, padding: 0)
            Vector.storePartial(Vector.loadPartial(sumGN + d, w, padding: 0).addingProduct(gv, Vector.loadPartial(n + d, w, padding: 0)),
                                sumGN + d, w)
            Vector.storePartial(Vector.loadPartial(sumG + d, w, padding: 0) + gv, sumG + d, w)
        }
    }

    /// Where a row's `∂x` goes, and whether it is added to what is there.
    typealias GradientTarget = (pointer: UnsafeMutablePointer<Float>, accumulate: Bool)

    /// `∂x (+)= (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)) / s` for one row, `ĝ = g ⊙ γ`, into one
    /// target or two (the terms of `layerNorm(adding:)`), each as it stores the row's vectors.
    @inline(__always)
    static func inputGradient(_ g: UnsafePointer<Float>, _ n: UnsafePointer<Float>, _ gain: UnsafePointer<Float>,
                              _ inverse: Float, into first: GradientTarget, and second: GradientTarget?, _ width: Int) {
        let whole = width & ~15, rest = width &- whole
        var sumG = Lanes(), sumGN = Lanes()
        var d = 0
        while d < whole {
            let scaled = Vector.load(g + d) * Vector.load(gain + d)
            sumG += scaled
            sumGN = sumGN.addingProduct(scaled, Vector.load(n + d))
            d &+= 16
        }
        if rest > 0 {
            let scaled = Vector.loadPartial(g + d, rest, padding: 0) * Vector.loadPartial(gain + d, rest, padding: 0)
            sumG += scaled
            sumGN = sumGN.addingProduct(scaled, Vector.loadPartial(n + d, rest, padding: 0))
        }
        let meanG = Vector.laneSum(sumG) / Float(width), meanGN = Vector.laneSum(sumGN) / Float(width)
        d = 0
        while d < whole {
            let v = ((Vector.load(g + d) * Vector.load(gain + d)) - meanG).addingProduct(Vector.load(n + d), -meanGN) * inverse
            Vector.store(first.accumulate ? Vector.load(first.pointer + d) + v : v, first.pointer + d)
            if let second { Vector.store(second.accumulate ? Vector.load(second.pointer + d) + v : v, second.pointer + d) }
            d &+= 16
        }
        if rest > 0 {
            let scaled = Vector.loadPartial(g + d, rest, padding: 0) * Vector.loadPartial(gain + d, rest, padding: 0)
            let v = (scaled - meanG).addingProduct(Vector.loadPartial(n + d, rest, padding: 0), -meanGN) * inverse
            Vector.storePartial(first.accumulate ? Vector.loadPartial(first.pointer + d, rest, padding: 0) + v : v,
                                first.pointer + d, rest)
            if let second {
                Vector.storePartial(second.accumulate ? Vector.loadPartial(second.pointer + d, rest, padding: 0) + v : v,
                                    second.pointer + d, rest)
            }
        }
    }
}
