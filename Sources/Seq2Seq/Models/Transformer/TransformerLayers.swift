import Autograd

/// What every Transformer sublayer shares: the residual connection, dropout on the sublayer's
/// output, and where the layer normalisation sits (Vaswani et al. 2017, §3.1 and §5.4).
///
/// - post-norm (the paper): `x ← LayerNorm(x + Dropout(Sublayer(x)))`;
/// - pre-norm (Xiong et al. 2020): `x ← x + Dropout(Sublayer(LayerNorm(x)))`.
struct Residual {
    let placement: LayerNormPlacement
    let dropout: Float

    /// What the sublayer reads.
    func input(_ x: Tensor, _ norm: LayerNorm) -> Tensor { placement == .pre ? norm(x) : x }

    /// The layer's output given the sublayer's.
    func output(_ x: Tensor, _ sublayer: Tensor, _ norm: LayerNorm, _ context: inout ForwardContext) -> Tensor {
        let added = context.dropout(sublayer, dropout)
        return placement == .post ? norm(x, adding: added) : x + added
    }
}

/// The position-wise feed-forward sublayer, `W₂ · Dropout(act(W₁ x + b₁)) + b₂` (§3.3).
final class FeedForward: Module {
    let linear1: Linear
    let linear2: Linear
    let activation: FeedForwardActivation
    let dropout: Float

    init(_ c: TransformerConfiguration, generator: inout SeededGenerator) {
        linear1 = Linear(inputSize: c.modelWidth, outputSize: c.feedForwardWidth, generator: &generator)
        linear2 = Linear(inputSize: c.feedForwardWidth, outputSize: c.modelWidth, generator: &generator)
        activation = c.activation
        dropout = c.dropout
    }

    var namedParameters: [(name: String, tensor: Tensor)] { prefixed("linear1", linear1) + prefixed("linear2", linear2) }

    /// - Parameter x: `[B, T, D]`. - Returns: `[B, T, D]`.
    func callAsFunction(_ x: Tensor, context: inout ForwardContext) -> Tensor {
        // ReLU in the product's stores (one op); GELU after it.
        let hidden = activation == .relu ? x.linearReLU(linear1.weight, bias: linear1.bias) : linear1(x).gelu()
        return linear2(context.dropout(hidden, dropout))
    }
}

/// Self-attention then feed-forward, each wrapped in `Residual` (§3.1, "Encoder").
final class TransformerEncoderLayer: Module {
    let selfAttention: MultiHeadAttention
    let feedForward: FeedForward
    let norm1: LayerNorm
    let norm2: LayerNorm
    let residual: Residual

    init(_ c: TransformerConfiguration, generator: inout SeededGenerator) {
        selfAttention = MultiHeadAttention(width: c.modelWidth, heads: c.heads, generator: &generator)
        feedForward = FeedForward(c, generator: &generator)
        norm1 = LayerNorm(width: c.modelWidth)
        norm2 = LayerNorm(width: c.modelWidth)
        residual = Residual(placement: c.layerNorm, dropout: c.dropout)
    }

    // nn.TransformerEncoderLayer's names.
    var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("self_attn", selfAttention) + feedForward.namedParameters + prefixed("norm1", norm1) + prefixed("norm2", norm2)
    }

    /// - Parameters: - x: `[B, S, D]`. - keyMask: `[B, S]`. - Returns: `[B, S, D]`.
    func callAsFunction(_ x: Tensor, keyMask: Tensor?, context: inout ForwardContext) -> Tensor {
        let attended = selfAttention(selfAttending: residual.input(x, norm1), keyMask: keyMask, causal: false).output
        let h = residual.output(x, attended, norm1, &context)
        let fed = feedForward(residual.input(h, norm2), context: &context)
        return residual.output(h, fed, norm2, &context)
    }
}

/// Causal self-attention, cross-attention over the encoder output, then feed-forward (§3.1,
/// "Decoder"). Runs over a whole target at once (training, forced decoding) or one position
/// at a time against cached keys and values (decoding).
final class TransformerDecoderLayer: Module {
    let selfAttention: MultiHeadAttention
    let crossAttention: MultiHeadAttention
    let feedForward: FeedForward
    let norm1: LayerNorm
    let norm2: LayerNorm
    let norm3: LayerNorm
    let residual: Residual

    init(_ c: TransformerConfiguration, generator: inout SeededGenerator) {
        selfAttention = MultiHeadAttention(width: c.modelWidth, heads: c.heads, generator: &generator)
        crossAttention = MultiHeadAttention(width: c.modelWidth, heads: c.heads, generator: &generator)
        feedForward = FeedForward(c, generator: &generator)
        norm1 = LayerNorm(width: c.modelWidth)
        norm2 = LayerNorm(width: c.modelWidth)
        norm3 = LayerNorm(width: c.modelWidth)
        residual = Residual(placement: c.layerNorm, dropout: c.dropout)
    }

    // nn.TransformerDecoderLayer's names.
    var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("self_attn", selfAttention) + prefixed("multihead_attn", crossAttention) + feedForward.namedParameters
            + prefixed("norm1", norm1) + prefixed("norm2", norm2) + prefixed("norm3", norm3)
    }

    /// The whole target at once.
    /// - Parameters:
    ///   - y: `[B, T, D]`. - targetMask: `[B, T]`. - memory: this layer's projection of the
    ///     encoder output, `[B, S, D]` each. - sourceMask: `[B, S]`.
    ///   - supervisedHead: a head (0-based) whose weights a loss reads, or `nil`.
    /// - Returns: `[B, T, D]`, the cross-attention weights `[B, h, T, S]` (off the tape), and the
    ///   supervised head's `[B, T, S]` on the tape.
    func callAsFunction(_ y: Tensor, targetMask: Tensor?, memory: MultiHeadAttention.KeysAndValues, sourceMask: Tensor,
                        supervisedHead: Int? = nil, context: inout ForwardContext) -> (output: Tensor, weights: Tensor, headWeights: Tensor?) {
        let attended = selfAttention(selfAttending: residual.input(y, norm1), keyMask: targetMask, causal: true).output
        let h = residual.output(y, attended, norm1, &context)
        let headWeights = supervisedHead.map { crossAttention.headWeights(residual.input(h, norm2), attendingTo: memory, head: $0, keyMask: sourceMask) }
        let (output, weights) = crossAndFeedForward(h, memory: memory, sourceMask: sourceMask, context: &context)
        return (output, weights, headWeights)
    }

    /// One new position per row.
    /// - Parameters:
    ///   - y: `[B, 1, D]`. - cache: the self-attention keys and values of the earlier positions.
    /// - Returns: `[B, 1, D]`, the cross-attention weights `[B, h, 1, S]`, and the cache with this position.
    func step(_ y: Tensor, cache: MultiHeadAttention.KeysAndValues?, memory: MultiHeadAttention.KeysAndValues, sourceMask: Tensor,
              context: inout ForwardContext) -> (output: Tensor, weights: Tensor, cache: MultiHeadAttention.KeysAndValues) {
        let normed = residual.input(y, norm1)
        let current = selfAttention.keysAndValues(normed)
        let seen = cache.map { $0.appending(current) } ?? current
        let attended = selfAttention(normed, attendingTo: seen, keyMask: nil).output
        let (output, weights) = crossAndFeedForward(residual.output(y, attended, norm1, &context), memory: memory,
                                                    sourceMask: sourceMask, context: &context)
        return (output, weights, seen)
    }

    private func crossAndFeedForward(_ h: Tensor, memory: MultiHeadAttention.KeysAndValues, sourceMask: Tensor,
                                     context: inout ForwardContext) -> (output: Tensor, weights: Tensor) {
        let (attended, weights) = crossAttention(residual.input(h, norm2), attendingTo: memory, keyMask: sourceMask)
        let h2 = residual.output(h, attended, norm2, &context)
        let fed = feedForward(residual.input(h2, norm3), context: &context)
        return (residual.output(h2, fed, norm3, &context), weights)
    }
}
