import Autograd

/// `√½`: every residual sum and every sum of two signals is scaled by it, which keeps the
/// variance of the sum that of its parts (Gehring et al. 2017, §3.4).
let halfVarianceScale = Float(0.5).squareRoot()

extension Linear {
    /// A linear layer initialised as Gehring et al. 2017, §3.5: `W ~ N(0, (1 − p) / n_in)` (`p`
    /// the dropout on its input, 0 where none), `b = 0`, so that its outputs keep the variance of
    /// its inputs. (fairseq's `Linear` in `fconv`; the paper adds weight normalisation, which
    /// Attend leaves out: Adam needs no reparametrisation to train these small models.)
    convenience init(inputSize: Int, outputSize: Int, inputDropout p: Float, generator: inout SeededGenerator) {
        self.init(inputSize: inputSize, outputSize: outputSize, generator: &generator)
        let std = ((1 - p) / Float(inputSize)).squareRoot()
        weight.data.update(from: Tensor.normal(weight.shape, std: std, generator: &generator).data, count: weight.count)
        bias?.data.update(repeating: 0, count: outputSize)
    }
}

/// Token plus learned position embeddings, `e_j = w_j + p_j` (§3.1), both drawn from
/// `N(0, 0.1²)`; positions past the table share its last row. Its parameters are named as
/// fairseq names them in the encoder or decoder that holds it (`embed_tokens`, `embed_positions`).
final class TokenAndPositionEmbedding: Module {
    let tokens: Embedding
    let positions: Embedding

    init(vocabulary: Int, width: Int, maximumPositions: Int, generator: inout SeededGenerator) {
        func table(_ count: Int, paddingIndex: Int?) -> Embedding {
            let table = Embedding(count: count, dimension: width, paddingIndex: paddingIndex, generator: &generator)
            for i in 0..<table.weight.count { table.weight.data[i] *= 0.1 }
            return table
        }
        tokens = table(vocabulary, paddingIndex: SpecialToken.padding)
        positions = table(maximumPositions, paddingIndex: nil)
    }

    var namedParameters: [(name: String, tensor: Tensor)] { prefixed("embed_tokens", tokens) + prefixed("embed_positions", positions) }

    /// - Parameters: - ids: `[B, T]`, row-major. - offset: the position of the first column.
    /// - Returns: `[B, T, E]`.
    func callAsFunction(_ ids: [Int], batch: Int, offset: Int = 0) -> Tensor {
        let length = ids.count / batch, last = positions.weight.shape[0] - 1
        return tokens(ids, shape: [batch, length]) + positions((offset..<offset + length).map { Swift.min($0, last) }, shape: [length])
    }
}

/// A convolution of `2C` outputs followed by a gated linear unit (§3.2):
///
///     h = GLU(W ∗ X + b) = A ⊗ σ(B),   [A B] = W ∗ X + b
///
/// `W` is `[k, C, 2C]` (fairseq's `ConvTBC` layout), drawn from `N(0, 4(1 − p) / (k·C))`: the
/// GLU passes on about a quarter of its input's variance, and dropout `p` removes a share (§3.5).
final class GatedConvolution: Module {
    let weight: Tensor
    let bias: Tensor

    init(width: Int, channels: Int, dropout p: Float, generator: inout SeededGenerator) {
        let std = (4 * (1 - p) / Float(width * channels)).squareRoot()
        weight = Tensor.normal([width, channels, 2 * channels], std: std, generator: &generator, requiresGrad: true)
        bias = Tensor.zeros([2 * channels], requiresGrad: true)
    }

    var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }

    /// - Parameters: - x: `[B, T, C]`. - padding: zero positions before and after.
    /// - Returns: `[B, T + left + right − k + 1, C]`.
    func callAsFunction(_ x: Tensor, padding: (left: Int, right: Int)) -> Tensor {
        (x.convolved(with: weight, padding: padding) + bias).glu()
    }
}

/// What the encoder gives each decoder layer's attention (§3.3): keys `z_j`, values
/// `(z_j + e_j)·√½`, which positions are real, and §3.4's scale of the context.
struct ConvMemory {
    /// `z_j`, the encoder's output: `[B, S, E]`.
    var keys: Tensor
    /// `(z_j + e_j)·√½`, with `e_j` the source word's embedding (token plus position): `[B, S, E]`.
    var values: Tensor
    /// `[B, 1, S]`, 1 on real source positions, 0 on padding.
    var mask: Tensor
    /// `[B, 1, 1]`: `m·√(1/m) = √m`, `m` the real length of the source row (§3.4).
    var scale: Tensor

    /// The rows `indices`, for beam search.
    func selecting(rows indices: [Int]) -> ConvMemory {
        ConvMemory(keys: keys.rows(indices), values: values.rows(indices), mask: mask.rows(indices), scale: scale.rows(indices))
    }
}

/// One decoder layer's attention (§3.3, "multi-step attention"): with `h_i` the layer's
/// convolution output and `g_i` the embedding of the previous target word,
///
///     d_i = (W_d h_i + b_d + g_i)·√½            a_ij = softmax_j(d_i · z_j)   (over real j)
///     c_i = √m · Σ_j a_ij (z_j + e_j)·√½         out_i = (W_o c_i + b_o + h_i)·√½
///
/// `W_d` is fairseq's `in_projection` (`[E, C]`), `W_o` its `out_projection` (`[C, E]`).
final class MultiStepAttention: Module {
    let inProjection: Linear
    let outProjection: Linear

    init(channels: Int, embeddingWidth: Int, generator: inout SeededGenerator) {
        inProjection = Linear(inputSize: channels, outputSize: embeddingWidth, inputDropout: 0, generator: &generator)
        outProjection = Linear(inputSize: embeddingWidth, outputSize: channels, inputDropout: 0, generator: &generator)
    }

    var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("in_projection", inProjection) + prefixed("out_projection", outProjection)
    }

    /// - Parameters:
    ///   - h: `[B, T, C]`. - targetEmbedding: `g`, `[B, T, E]`.
    /// - Returns: `out` `[B, T, C]`, and the weights `a` `[B, T, S]` (zero on padding).
    func callAsFunction(_ h: Tensor, targetEmbedding: Tensor, memory: ConvMemory) -> (output: Tensor, weights: Tensor) {
        let query = (inProjection(h) + targetEmbedding) * halfVarianceScale
        let weights = query.batchedMatmul(memory.keys, transposeB: true).softmax(mask: memory.mask)
        let context = weights.batchedMatmul(memory.values) * memory.scale
        return ((outProjection(context) + h) * halfVarianceScale, weights)
    }
}
