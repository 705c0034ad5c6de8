import Autograd

/// The convolutional decoder with multi-step attention (Gehring et al. 2017, §3.2–3.3):
///
///     g_i = w_i + p_i                         (embedding of the previous target word, [B, T, E])
///     x⁰ = W_1 g + b_1                         ([B, T, C])
///     hˡ = GLU(Wˡ ∗ xˡ⁻¹ + bˡ)                  (causal: position i reads i − k + 1 … i)
///     xˡ = (attendˡ(hˡ, g, z, e) + xˡ⁻¹)·√½     (`MultiStepAttention`, in every layer)
///     output = W_2 xᴸ + b_2                    ([B, T, E]; logits are W_3 output + b_3)
///
/// Training reads the whole target at once, each convolution left-padded by `k − 1`. Decoding
/// runs one position at a time: each layer keeps only its last `k − 1` inputs (zeros before the
/// first word, as the padding), so a step costs the same at every position.
final class ConvDecoder: Module {
    let embedding: TokenAndPositionEmbedding
    let fc1: Linear
    let convolutions: [GatedConvolution]
    let attention: [MultiStepAttention]
    let fc2: Linear
    let fc3: Linear
    let configuration: ConvConfiguration

    init(_ c: ConvConfiguration, generator: inout SeededGenerator) {
        configuration = c
        embedding = TokenAndPositionEmbedding(vocabulary: c.targetVocabularySize, width: c.embeddingWidth,
                                              maximumPositions: c.maximumPositions, generator: &generator)
        fc1 = Linear(inputSize: c.embeddingWidth, outputSize: c.channels, inputDropout: c.dropout, generator: &generator)
        var convolutions = [GatedConvolution](), attention = [MultiStepAttention]()
        for _ in 0..<c.layers {
            convolutions.append(GatedConvolution(width: c.kernelWidth, channels: c.channels, dropout: c.dropout, generator: &generator))
            attention.append(MultiStepAttention(channels: c.channels, embeddingWidth: c.embeddingWidth, generator: &generator))
        }
        (self.convolutions, self.attention) = (convolutions, attention)
        fc2 = Linear(inputSize: c.channels, outputSize: c.embeddingWidth, inputDropout: 0, generator: &generator)
        fc3 = Linear(inputSize: c.embeddingWidth, outputSize: c.targetVocabularySize, inputDropout: c.dropout, generator: &generator)
    }

    // fairseq's FConvDecoder names.
    var namedParameters: [(name: String, tensor: Tensor)] {
        var named = embedding.namedParameters + prefixed("fc1", fc1)
        for (i, convolution) in convolutions.enumerated() { named += prefixed("convolutions.\(i)", convolution) }
        for (i, layer) in attention.enumerated() { named += prefixed("attention.\(i)", layer) }
        return named + prefixed("fc2", fc2) + prefixed("fc3", fc3)
    }

    /// The whole target at once.
    /// - Parameter ids: `[B, T]`, row-major (`<s> y₁ …`).
    /// - Returns: the outputs `[B, T, E]` and every layer's attention weights `[B, T, S]`.
    func callAsFunction(_ ids: [Int], batch: Int, memory: ConvMemory, context: inout ForwardContext) -> (output: Tensor, weights: [Tensor]) {
        let c = configuration
        let g = context.dropout(embedding(ids, batch: batch), c.dropout)
        var x = fc1(g), weights = [Tensor]()
        for (convolution, attention) in zip(convolutions, attention) {
            let h = convolution(context.dropout(x, c.dropout), padding: (c.kernelWidth - 1, 0))
            let attended = attention(h, targetEmbedding: g, memory: memory)
            x = (attended.output + x) * halfVarianceScale
            weights.append(attended.weights)
        }
        return (context.dropout(fc2(x), c.dropout), weights)
    }

    /// Zeros: each layer's `k − 1` inputs before the first position (none for `k = 1`).
    func initialWindows(batch: Int) -> [Tensor?] {
        convolutions.map { _ in configuration.kernelWidth > 1 ? Tensor.zeros([batch, configuration.kernelWidth - 1, configuration.channels]) : nil }
    }

    /// One position per row.
    /// - Parameters:
    ///   - tokens: `[B]`, the previous target word. - position: its position.
    ///   - windows: per layer, its last `k − 1` inputs `[B, k − 1, C]`.
    /// - Returns: the output `[B, E]`, every layer's attention weights `[B, 1, S]`, and the windows
    ///   with this position's inputs in place of the oldest.
    func step(_ tokens: [Int], position: Int, windows: [Tensor?], memory: ConvMemory, context: inout ForwardContext)
        -> (output: Tensor, weights: [Tensor], windows: [Tensor?]) {
        let c = configuration, batch = tokens.count
        let g = context.dropout(embedding(tokens, batch: batch, offset: position), c.dropout)
        var x = fc1(g), weights = [Tensor](), next = [Tensor?]()
        for (layer, (convolution, attention)) in zip(convolutions, attention).enumerated() {
            let input = context.dropout(x, c.dropout)
            let window = windows[layer].map { Tensor.concat([$0, input], axis: 1) } ?? input
            next.append(windows[layer].map { _ in window.slice(axis: 1, start: 1, length: c.kernelWidth - 1) })
            let attended = attention(convolution(window, padding: (0, 0)), targetEmbedding: g, memory: memory)
            x = (attended.output + x) * halfVarianceScale
            weights.append(attended.weights)
        }
        return (context.dropout(fc2(x), c.dropout).reshaped([batch, c.embeddingWidth]), weights, next)
    }
}
