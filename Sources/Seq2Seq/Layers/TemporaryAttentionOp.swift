import Autograd

// Composed stand-in for the fused op being written on wip-sdpa; deleted at the merge.
extension Tensor {
    static func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, heads: Int,
                                          keyMask: Tensor? = nil, causal: Bool = false) -> (output: Tensor, weights: Tensor) {
        let b = query.shape[0], t = query.shape[1], s = key.shape[1], width = query.shape[2], d = width / heads
        func split(_ x: Tensor, _ n: Int) -> Tensor { x.reshaped([b, n, heads, d]).permuted([0, 2, 1, 3]) }
        let scores = split(query, t).batchedMatmul(split(key, s), transposeB: true) * (1 / Float(d).squareRoot())
        var mask = [Float](repeating: 1, count: b * t * s)
        for i in 0..<b { for q in 0..<t { for k in 0..<s {
            if let keyMask, keyMask.data[i * s + k] == 0 { mask[(i * t + q) * s + k] = 0 }
            if causal && k > q + (s - t) { mask[(i * t + q) * s + k] = 0 }
        } } }
        let p = scores.softmax(mask: Tensor(shape: [b, 1, t, s], scalars: mask))
        let out = p.batchedMatmul(split(value, s)).permuted([0, 2, 1, 3]).reshaped([b, t, width])
        return (out, p.detached())
    }
}
