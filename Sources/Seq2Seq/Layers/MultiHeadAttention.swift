import Autograd

/// Multi-head attention (Vaswani et al. 2017, §3.2.2):
///
///     MultiHead(Q, K, V) = Concat(head₁, …, head_h) W_O,  head_i = softmax(Q W_i^Q (K W_i^K)ᵀ / √d) V W_i^V
///
/// The three input projections are stored as one `[3D, D]` matrix and `[3D]` bias, query rows
/// first, as `nn.MultiheadAttention` does (`in_proj_weight`, `in_proj_bias`, `out_proj`), so a
/// checkpoint loads into PyTorch's module.
public final class MultiHeadAttention: Module {
    public let heads: Int
    public let width: Int
    let inputWeight: Tensor
    let inputBias: Tensor
    let output: Linear

    /// Xavier-uniform projections and zero biases, as `nn.MultiheadAttention` initialises them.
    public init(width: Int, heads: Int, generator: inout SeededGenerator) {
        precondition(width % heads == 0, "MultiHeadAttention: width \(width) is not a multiple of \(heads) heads")
        self.heads = heads
        self.width = width
        inputWeight = Tensor.xavierUniform([3 * width, width], generator: &generator, requiresGrad: true)
        inputBias = Tensor.zeros([3 * width], requiresGrad: true)
        output = Linear(inputSize: width, outputSize: width, generator: &generator)
        output.weight.data.update(from: Tensor.xavierUniform([width, width], generator: &generator).data, count: width * width)
        output.bias!.data.update(repeating: 0, count: width)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [("in_proj_weight", inputWeight), ("in_proj_bias", inputBias)] + prefixed("out_proj", output)
    }

    /// Keys and values of a sequence, projected: what cross-attention caches per sentence and
    /// self-attention caches per decoded position.
    public struct KeysAndValues {
        /// `[B, S, 2D]`: the keys in columns `0..<D`, the values in `D..<2D`, as one product
        /// made them; attention reads both in place.
        public var projected: Tensor

        /// The rows `indices`, for beam search.
        func selecting(rows indices: [Int]) -> KeysAndValues { KeysAndValues(projected: projected.rows(indices)) }

        /// These followed by `more` along the sequence axis: the cache after one more step.
        func appending(_ more: KeysAndValues) -> KeysAndValues {
            KeysAndValues(projected: Tensor.concat([projected, more.projected], axis: 1))
        }
    }

    /// `x W_iᵀ + b_i` for the projections `parts` (0 query, 1 key, 2 value), side by side in the
    /// last axis: `[B, T, parts.count · D]`; fewer than three read their rows of the stored weight
    /// and bias in place (`linear(_:rows:bias:)`). - Parameter x: `[B, T, D]`.
    private func project(_ x: Tensor, parts: Range<Int>) -> Tensor {
        guard parts.count < 3 else { return x.linear(inputWeight, bias: inputBias) }
        return x.linear(inputWeight, rows: parts.lowerBound * width ..< parts.upperBound * width, bias: inputBias)
    }

    /// The keys and values of `x` `[B, S, D]`, side by side: `[B, S, 2D]`.
    public func keysAndValues(_ x: Tensor) -> KeysAndValues { KeysAndValues(projected: project(x, parts: 1..<3)) }

    /// Self-attention over `x` itself, projecting Q, K and V with one product.
    /// - Parameters:
    ///   - x: `[B, T, D]`. - keyMask: `[B, T]` or `nil`. - causal: position `t` sees `≤ t` only.
    /// - Returns: `[B, T, D]` and the weights `[B, h, T, T]`.
    public func callAsFunction(selfAttending x: Tensor, keyMask: Tensor?, causal: Bool) -> (output: Tensor, weights: Tensor) {
        let qkv = project(x, parts: 0..<3)
        return attend(query: AttentionColumns(qkv, start: 0, width: width), keys: AttentionColumns(qkv, start: width, width: width),
                      values: AttentionColumns(qkv, start: 2 * width, width: width), keyMask: keyMask, causal: causal)
    }

    /// Attention from `x` to already projected keys and values.
    /// - Parameters:
    ///   - x: `[B, T, D]`, unprojected queries. - memory: keys and values, `[B, S, 2D]`. - keyMask: `[B, S]` or `nil`.
    /// - Returns: `[B, T, D]` and the weights `[B, h, T, S]`.
    public func callAsFunction(_ x: Tensor, attendingTo memory: KeysAndValues, keyMask: Tensor?, causal: Bool = false)
        -> (output: Tensor, weights: Tensor) {
        attend(query: AttentionColumns(project(x, parts: 0..<1)), keys: AttentionColumns(memory.projected, start: 0, width: width),
               values: AttentionColumns(memory.projected, start: width, width: width), keyMask: keyMask, causal: causal)
    }

    /// One head's weights `softmax(Q_h K_hᵀ / √d + mask)`, `[B, T, S]`, composed from primitive
    /// ops so that a loss on them (guided alignment) reaches the query and the keys: the fused
    /// op's weights are not on the tape. The same values as that head's fused weights.
    /// - Parameters:
    ///   - x: `[B, T, D]`, unprojected queries. - memory: keys and values, `[B, S, 2D]`. - head: 0-based.
    ///   - keyMask: `[B, S]`.
    public func headWeights(_ x: Tensor, attendingTo memory: KeysAndValues, head: Int, keyMask: Tensor) -> Tensor {
        let d = width / heads, batch = x.shape[0], length = memory.projected.shape[1]
        let query = x.linear(inputWeight, rows: head * d ..< (head + 1) * d, bias: inputBias)
        let keys = memory.projected.slice(axis: 2, start: head * d, length: d)
        let scores = query.batchedMatmul(keys, transposeB: true) * (1 / Float(d).squareRoot())
        return scores.softmax(mask: keyMask.reshaped([batch, 1, length]))
    }

    private func attend(query: AttentionColumns, keys: AttentionColumns, values: AttentionColumns, keyMask: Tensor?,
                        causal: Bool) -> (output: Tensor, weights: Tensor) {
        let (context, weights) = Tensor.scaledDotProductAttention(query: query, key: keys, value: values, heads: heads,
                                                                  keyMask: keyMask, causal: causal)
        return (output(context), weights)
    }
}
