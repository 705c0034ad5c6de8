import Autograd

/// The convolutional encoder (Gehring et al. 2017, §3.1–3.2):
///
///     e_j = w_j + p_j                        (token and learned position embeddings, [B, S, E])
///     x⁰ = W_1 e + b_1                        ([B, S, C]; fairseq's fc1)
///     xˡ = (GLU(Wˡ ∗ mask(xˡ⁻¹) + bˡ) + xˡ⁻¹)·√½    for l = 1 … L
///     z = W_2 xᴸ + b_2                        ([B, S, E]; fc2)
///
/// The convolutions are centred, and padding positions are zeroed before each of them, so a
/// sentence's encoding does not depend on how much padding its batch adds (a padded position
/// reads as the zero padding past the sentence's end would). Attention reads `z` as keys and
/// `(z + e)·√½` as values (§3.3). The gradient reaching `z` from the decoder is scaled by
/// `1 / (2·L_attention)`, as fairseq does for the paper's "we scale the gradients for the
/// encoder layers by the number of attention mechanisms we use" (§3.4), leaving `e` out.
final class ConvEncoder: Module {
    let embedding: TokenAndPositionEmbedding
    let fc1: Linear
    let convolutions: [GatedConvolution]
    let fc2: Linear
    let configuration: ConvConfiguration

    init(_ c: ConvConfiguration, generator: inout SeededGenerator) {
        configuration = c
        embedding = TokenAndPositionEmbedding(vocabulary: c.sourceVocabularySize, width: c.embeddingWidth,
                                              maximumPositions: c.maximumPositions, generator: &generator)
        fc1 = Linear(inputSize: c.embeddingWidth, outputSize: c.channels, inputDropout: c.dropout, generator: &generator)
        convolutions = (0..<c.layers).map { _ in
            GatedConvolution(width: c.kernelWidth, channels: c.channels, dropout: c.dropout, generator: &generator)
        }
        fc2 = Linear(inputSize: c.channels, outputSize: c.embeddingWidth, inputDropout: 0, generator: &generator)
    }

    // fairseq's FConvEncoder names.
    var namedParameters: [(name: String, tensor: Tensor)] {
        var named = embedding.namedParameters + prefixed("fc1", fc1)
        for (i, convolution) in convolutions.enumerated() { named += prefixed("convolutions.\(i)", convolution) }
        return named + prefixed("fc2", fc2)
    }

    /// - Parameters:
    ///   - source: `[B, S]` ids, row-major, padded. - lengths: the real length of each row.
    ///   - attentionLayers: how many decoder layers attend (the gradient scale's `L_attention`).
    func callAsFunction(_ source: [Int], lengths: [Int], attentionLayers: Int, context: inout ForwardContext) -> ConvMemory {
        let c = configuration, batch = lengths.count, length = source.count / batch
        let real = lengths.flatMap { n in (0..<length).map { Float($0 < n ? 1 : 0) } }
        let padded = lengths.contains { $0 < length }
        let zeroPadding = { (x: Tensor) in padded ? x * Tensor(shape: [batch, length, 1], scalars: real) : x }
        let e = context.dropout(embedding(source, batch: batch), c.dropout)
        var x = fc1(e)
        for convolution in convolutions {
            let input = context.dropout(zeroPadding(x), c.dropout)
            x = (convolution(input, padding: ((c.kernelWidth - 1) / 2, c.kernelWidth / 2)) + x) * halfVarianceScale
        }
        let z = Self.scalingGradient(zeroPadding(fc2(x)), by: 1 / Float(2 * Swift.max(attentionLayers, 1)))
        return ConvMemory(keys: z, values: (z + e) * halfVarianceScale, mask: Tensor(shape: [batch, 1, length], scalars: real),
                          scale: Tensor(shape: [batch, 1, 1], scalars: lengths.map { Float($0).squareRoot() }))
    }

    /// `x` itself, through which the gradient flows multiplied by `s`: `x̄ + (x − x̄)·s` with
    /// `x̄` detached, whose value is exactly `x` (as `x − x̄ = 0`) and whose derivative is `s`.
    static func scalingGradient(_ x: Tensor, by s: Float) -> Tensor {
        guard x.requiresGrad, s != 1 else { return x }
        let constant = x.detached()
        return constant + (x - constant) * s
    }
}
