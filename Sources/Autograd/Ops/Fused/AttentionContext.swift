/// The context vector of attention, fused (Bahdanau et al. 2015, eq. 5; Luong et al. 2015, §3):
///
///     c_b = Σ_s α_bs h̄_bs
///
/// Composed, this is `α.reshaped([B, 1, S]).batchedMatmul(h̄)`: `B` products of one row each,
/// run one after the other on the calling thread, at every decoder step. Fused, the batch
/// entries are split over the `Parallel` pool and each sum runs 16 lanes of `h̄` at a time.
///
/// Pullback: `∂α_bs = ∂c_b · h̄_bs`, `∂h̄_bs = α_bs ∂c_b`.
///
/// On a bf16 path `α`, `h̄` and `∂c` are read rounded to bf16, as `batchedMatmul`'s products
/// read them: products of bf16 values are exact in float32, and the sums are float32.
extension Tensor {
    /// - Parameters:
    ///   - weights: `α`, `[B, S]`.
    ///   - values: `h̄`, `[B, S, M]`.
    /// - Returns: `c`, `[B, M]`.
    public static func attentionContext(weights: Tensor, values: Tensor) -> Tensor {
        attentionContext(weights: weights, values: ContextValues(values, roundedOnce: false))
    }

    /// The same with `h̄` prepared once for every step that reads it (`ContextValues`).
    public static func attentionContext(weights: Tensor, values prepared: ContextValues) -> Tensor {
        let values = prepared.tensor
        let batch = values.shape[0], length = values.shape[1], width = values.shape[2]
        precondition(values.rank == 3 && weights.shape == [batch, length],
                     "attentionContext: weights \(weights.shape), values \(values.shape)")
        let rows = ContextRows(length: length, width: width, rounding: GEMM.path.isBF16)
        // h̄ as the products read it: its rounded copy, or rounded as it is read.
        let (read, readRounded) = prepared.read
        let out = Tensor(uninitializedShape: [batch, width])
        let grain = Swift.max(1, Parallel.elementGrain / Swift.max(length &* width, 1))
        Parallel.forEachRange(batch, grain: grain, alignment: 1) { range in
            rows.forward(range, alpha: weights.data, values: read, valuesRounded: readRounded, out: out.data)
        }
        return Tape.record(.attentionContext, output: out, inputs: [weights, values]) { gradient in
            // ∂h̄ waits, to be summed over every step at once (`DeferredContextGradients`).
            var dValues: ContextRows.GradientBuffer? = nil
            if values.requiresGrad {
                if let deferred = DeferredContextGradients.active {
                    deferred.add(values: values, weights: weights, gradient: gradient)
                } else {
                    dValues = values.gradientBuffer()
                }
            }
            guard weights.requiresGrad || dValues != nil else { return }
            // Made here, on the calling thread, before any task runs.
            let dAlpha = weights.requiresGrad ? weights.gradientBuffer() : nil
            let (read, readRounded) = prepared.read  // (`prepared` keeps its copy alive till here)
            Parallel.forEachRange(batch, grain: grain, alignment: 1) { range in
                rows.backward(range, g: gradient.data, alpha: weights.data, values: read, valuesRounded: readRounded,
                              dAlpha: dAlpha, dValues: dValues)
            }
        }
    }
}

/// The values `h̄` of `attentionContext`, prepared once for the decoder steps that all read them:
/// on a bf16 path, with `roundedOnce`, a copy rounded to bf16 as the products read it, so that
/// the steps neither round every value again nor read it from `h̄` (the same numbers; one copy
/// of `h̄` more). The gradient goes to `tensor`.
public struct ContextValues {
    public let tensor: Tensor
    /// `tensor` rounded to bf16 on the path it was made for, or `nil`.
    private let rounded: (storage: Storage, path: MatrixPath)?

    public init(_ values: Tensor, roundedOnce: Bool = true) {
        tensor = values
        guard roundedOnce, GEMM.path.isBF16 else {
            rounded = nil
            return
        }
        let copy = Storage(count: values.count), source = values.data
        Parallel.forEachRange(values.count, grain: Parallel.elementGrain) { range in
            var i = range.lowerBound
            while i < range.upperBound {
                let n = Swift.min(16, range.upperBound &- i)
                Vector.storeBlock(BFloat16.round(Vector.loadBlock(source + i, n, padding: 0)), copy.pointer + i, n)
                i &+= 16
            }
        }
        rounded = (copy, GEMM.path)
    }

    /// Where the steps read `h̄`, and whether it is already rounded for the current path.
    var read: (values: UnsafePointer<Float>, rounded: Bool) {
        if let rounded, rounded.path == GEMM.path { return (UnsafePointer(rounded.storage.pointer), true) }
        return (UnsafePointer(tensor.data), false)
    }
}

/// The row kernels of `attentionContext`.
private struct ContextRows {
    typealias Lanes = Vector.Lanes
    typealias GradientBuffer = (pointer: UnsafeMutablePointer<Float>, accumulate: Bool)
    let length: Int, width: Int
    let rounding: Bool

    @inline(__always)
    private func read(_ x: Float) -> Float { rounding ? BFloat16.round(x) : x }

    @inline(__always)
    private func read(_ p: UnsafePointer<Float>, _ n: Int) -> Lanes {
        let x = Vector.loadBlock(p, n, padding: 0)
        return rounding ? BFloat16.round(x) : x
    }

    /// `h̄` as the products read it: rounded here unless `valuesRounded` says it already is.
    @inline(__always)
    private func readValues(_ p: UnsafePointer<Float>, _ n: Int, _ valuesRounded: Bool) -> Lanes {
        valuesRounded ? Vector.loadBlock(p, n, padding: 0) : read(p, n)
    }

    /// `c_b = Σ_s α_bs h̄_bs` for the batch entries `batch`, 16 lanes of `c_b` at a time.
    func forward(_ batch: Range<Int>, alpha: UnsafePointer<Float>, values: UnsafePointer<Float>, valuesRounded: Bool,
                 out: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: length) { weights in
            for b in batch {
                for s in 0..<length { weights[s] = read(alpha[b &* length &+ s]) }
                let rows = values + b &* length &* width, c = out + b &* width
                var j = 0
                while j < width {
                    let n = Swift.min(16, width &- j)
                    var sum = Lanes()
                    for s in 0..<length {
                        sum = sum.addingProduct(Lanes(repeating: weights[s]), readValues(rows + (s &* width &+ j), n, valuesRounded))
                    }
                    Vector.storeBlock(sum, c + j, n)
                    j &+= 16
                }
            }
        }
    }

    /// `∂α_bs (+)= ∂c_b · h̄_bs` and `∂h̄_bs (+)= α_bs ∂c_b` for the batch entries `batch`.
    func backward(_ batch: Range<Int>, g: UnsafePointer<Float>, alpha: UnsafePointer<Float>, values: UnsafePointer<Float>,
                  valuesRounded: Bool, dAlpha: GradientBuffer?, dValues: GradientBuffer?) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { operand in
            for b in batch {
                backward(b, g: g, operand: operand.baseAddress!, alpha: alpha, values: values, valuesRounded: valuesRounded,
                         dAlpha: dAlpha, dValues: dValues)
            }
        }
    }

    /// Batch entry `b` of `backward`; `operand` holds `width` floats, for `∂c_b` as read.
    @inline(__always)
    private func backward(_ b: Int, g: UnsafePointer<Float>, operand: UnsafeMutablePointer<Float>, alpha: UnsafePointer<Float>,
                          values: UnsafePointer<Float>, valuesRounded: Bool, dAlpha: GradientBuffer?, dValues: GradientBuffer?) {
        // ∂c_b as the products read it, rounded once rather than once per source position.
        var column = 0
        while column < width {
            let n = Swift.min(16, width &- column)
            Vector.storeBlock(read(g + (b &* width &+ column), n), operand + column, n)
            column &+= 16
        }
        let gb = UnsafePointer(operand), weights = alpha + b &* length
        for s in 0..<length {
            let row = b &* length &+ s, offset = row &* width
            let h = values + offset, a = Lanes(repeating: read(weights[s]))
            var dot = Lanes()
            var j = 0
            while j < width {
                let n = Swift.min(16, width &- j)
                let gv = Vector.loadBlock(gb + j, n, padding: 0)
                if dAlpha != nil { dot = dot.addingProduct(gv, readValues(h + j, n, valuesRounded)) }
                if let dValues {
                    let target = dValues.pointer + (offset &+ j)
                    Vector.storeBlock(dValues.accumulate ? Vector.loadBlock(target, n, padding: 0).addingProduct(a, gv) : a * gv,
                                      target, n)
                }
                j &+= 16
            }
            if let dAlpha {
                let value = Vector.laneSum(dot)
                dAlpha.pointer[row] = dAlpha.accumulate ? dAlpha.pointer[row] + value : value
            }
        }
    }
}
