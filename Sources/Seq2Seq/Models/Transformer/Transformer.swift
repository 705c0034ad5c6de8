import Autograd

/// A Transformer encoder-decoder (Vaswani et al. 2017, "Attention Is All You Need").
///
/// Tokens are embedded, scaled by √D and added to positions (§3.4–3.5), then pass `L` encoder
/// and `L` decoder layers (`TransformerLayers.swift`); pre-norm stacks end with a LayerNorm.
/// Logits are `W_o · output + b_o`, with `W_o` the target embedding when tied (§3.4).
///
/// Training reads the whole target at once under a causal mask; decoding runs one position at
/// a time and caches each layer's self-attention keys and values, so a step costs O(t).
public final class Transformer: Seq2SeqModel {
    public let configuration: TransformerConfiguration
    let sourceEmbedding: Embedding
    let targetEmbedding: Embedding
    /// Learned position tables, `[maximumPositions, D]`; `nil` for sinusoids.
    let sourcePositions: Embedding?
    let targetPositions: Embedding?
    let encoderLayers: [TransformerEncoderLayer]
    let decoderLayers: [TransformerDecoderLayer]
    /// Pre-norm's final normalisations.
    let encoderNorm: LayerNorm?
    let decoderNorm: LayerNorm?
    /// `W_o`; `nil` when tied to the target embedding.
    let outputWeight: Tensor?
    let outputBias: Tensor
    private var sinusoids: Tensor

    public init(_ configuration: TransformerConfiguration, generator: inout SeededGenerator) {
        let c = configuration
        self.configuration = c
        // N(0, D^−½): the √D scale then gives embeddings of unit variance, like the positions.
        func embedding(_ count: Int) -> Embedding {
            let e = Embedding(count: count, dimension: c.modelWidth, paddingIndex: SpecialToken.padding, generator: &generator)
            let scale = 1 / Float(c.modelWidth).squareRoot()
            for i in 0..<e.weight.count { e.weight.data[i] *= scale }
            return e
        }
        sourceEmbedding = embedding(c.sourceVocabularySize)
        targetEmbedding = embedding(c.targetVocabularySize)
        let learned = c.positions == .learned
        sourcePositions = learned ? Embedding(count: c.maximumPositions, dimension: c.modelWidth, paddingIndex: nil, generator: &generator) : nil
        targetPositions = learned ? Embedding(count: c.maximumPositions, dimension: c.modelWidth, paddingIndex: nil, generator: &generator) : nil
        encoderLayers = (0..<c.layers).map { _ in TransformerEncoderLayer(c, generator: &generator) }
        decoderLayers = (0..<c.layers).map { _ in TransformerDecoderLayer(c, generator: &generator) }
        encoderNorm = c.layerNorm == .pre ? LayerNorm(width: c.modelWidth) : nil
        decoderNorm = c.layerNorm == .pre ? LayerNorm(width: c.modelWidth) : nil
        outputWeight = c.tieEmbeddings ? nil
            : Tensor.xavierUniform([c.targetVocabularySize, c.modelWidth], generator: &generator, requiresGrad: true)
        outputBias = Tensor.zeros([c.targetVocabularySize], requiresGrad: true)
        sinusoids = SinusoidalPositions.table(count: 64, width: c.modelWidth)
    }

    public var modelConfiguration: ModelConfiguration { ModelConfiguration(architecture: Architecture.transformer.name, configuration) }
    /// Each decoder layer's cross-attention.
    public var attentionLayers: Int { configuration.layers }
    public var maximumSequenceLength: Int? { configuration.maximumPositions }
    public var attentionHeads: Int { configuration.heads }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        var named = prefixed("encoder.embedding", sourceEmbedding) + (sourcePositions.map { prefixed("encoder.positions", $0) } ?? [])
        for (i, layer) in encoderLayers.enumerated() { named += prefixed("encoder.layers.\(i)", layer) }
        named += encoderNorm.map { prefixed("encoder.norm", $0) } ?? []
        named += prefixed("decoder.embedding", targetEmbedding) + (targetPositions.map { prefixed("decoder.positions", $0) } ?? [])
        for (i, layer) in decoderLayers.enumerated() { named += prefixed("decoder.layers.\(i)", layer) }
        named += decoderNorm.map { prefixed("decoder.norm", $0) } ?? []
        return named + (outputWeight.map { [("decoder.output.weight", $0)] } ?? []) + [("decoder.output.bias", outputBias)]
    }

    /// `√D · E[ids] + P[offset ..< offset + T]`, then dropout.
    /// - Parameter ids: `[B, T]`, row-major. - Returns: `[B, T, D]`.
    private func embed(_ ids: [Int], batch: Int, offset: Int, _ table: Embedding, _ learned: Embedding?,
                       context: inout ForwardContext) -> Tensor {
        let length = ids.count / batch, width = configuration.modelWidth
        let tokens = table(ids, shape: [batch, length]) * Float(width).squareRoot()
        let positions: Tensor
        if let learned {
            // Positions past the table reuse its last row rather than fail.
            positions = learned((offset..<offset + length).map { Swift.min($0, configuration.maximumPositions - 1) }, shape: [length])
        } else {
            if offset + length > sinusoids.shape[0] {
                sinusoids = SinusoidalPositions.table(count: Swift.max(2 * sinusoids.shape[0], offset + length), width: width)
            }
            positions = sinusoids.slice(axis: 0, start: offset, length: length)
        }
        return context.dropout(tokens + positions, configuration.dropout)
    }

    /// `[B, L]` with 1 where `l < lengths[b]`.
    private static func mask(_ lengths: [Int], length: Int) -> Tensor {
        Tensor(shape: [lengths.count, length], scalars: lengths.flatMap { n in (0..<length).map { $0 < n ? 1 : 0 } })
    }

    /// The encoder output `[B, S, D]`, and its key mask `[B, S]`.
    private func encodeSource(_ source: [Int], lengths: [Int], context: inout ForwardContext) -> (memory: Tensor, mask: Tensor) {
        let length = source.count / lengths.count
        let mask = Self.mask(lengths, length: length)
        var x = embed(source, batch: lengths.count, offset: 0, sourceEmbedding, sourcePositions, context: &context)
        for layer in encoderLayers { x = layer(x, keyMask: mask, context: &context) }
        return (encoderNorm.map { $0(x) } ?? x, mask)
    }

    /// The decoder's state: each layer's projection of the encoder output, and the keys and
    /// values of the positions decoded so far.
    public struct DecoderState: DecodingState {
        /// Per layer, the cross-attention keys and values, `[B, S, D]` each.
        var memory: [MultiHeadAttention.KeysAndValues]
        /// `[B, S]`.
        var sourceMask: Tensor
        /// Per layer, the self-attention keys and values of positions `0 ..< position`.
        var cache: [MultiHeadAttention.KeysAndValues?]
        /// The next position to decode.
        public var position: Int

        public func selecting(rows indices: [Int]) -> DecoderState {
            DecoderState(memory: memory.map { $0.selecting(rows: indices) }, sourceMask: sourceMask.rows(indices),
                         cache: cache.map { $0?.selecting(rows: indices) }, position: position)
        }
    }

    public func encode(source: [Int], lengths: [Int], context: inout ForwardContext) -> DecoderState {
        let (memory, mask) = encodeSource(source, lengths: lengths, context: &context)
        return DecoderState(memory: decoderLayers.map { $0.crossAttention.keysAndValues(memory) }, sourceMask: mask,
                            cache: decoderLayers.map { _ in nil }, position: 0)
    }

    /// One position; the weights are the last layer's cross-attention averaged over heads.
    public func step(tokens: [Int], state: DecoderState, context: inout ForwardContext)
        -> (output: Tensor, weights: Tensor?, state: DecoderState) {
        let batch = tokens.count
        var y = embed(tokens, batch: batch, offset: state.position, targetEmbedding, targetPositions, context: &context)
        var next = state, weights: Tensor?
        for (i, layer) in decoderLayers.enumerated() {
            let result = layer.step(y, cache: state.cache[i], memory: state.memory[i], sourceMask: state.sourceMask, context: &context)
            (y, weights, next.cache[i]) = (result.output, result.weights, result.cache)
        }
        next.position += 1
        let output = (decoderNorm.map { $0(y) } ?? y).reshaped([batch, configuration.modelWidth])
        let averaged = weights.map { $0.mean(axis: 1).reshaped([batch, state.sourceMask.shape[1]]).detached() }
        return (output, averaged, next)
    }

    public func logits(_ outputs: Tensor) -> Tensor {
        outputs.linear(outputWeight ?? targetEmbedding.weight, bias: outputBias)
    }

    /// The whole target at once under the causal mask; with `context.guidance`, the named
    /// layer's head `[B, T, S]`, on the tape, goes to guided alignment.
    public func teacherForcedOutputs(_ batch: Batch, context: inout ForwardContext) -> Tensor {
        decodeAll(batch, context: &context).output
    }

    /// One decoder layer's head of cross-attention.
    public func canSupervise(_ choice: AttentionChoice) -> Bool {
        guard let layer = choice.layer, let head = choice.head else { return false }
        return (0..<configuration.layers).contains(layer) && (0..<configuration.heads).contains(head)
    }

    /// Decoder outputs `[B, T, D]` and every layer's cross-attention weights `[B, h, T, S]`.
    private func decodeAll(_ batch: Batch, context: inout ForwardContext) -> (output: Tensor, weights: [Tensor]) {
        let state = encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
        let targetMask = Self.mask(batch.targetLengths, length: batch.targetLength)
        var y = embed(batch.targetInput, batch: batch.size, offset: 0, targetEmbedding, targetPositions, context: &context)
        var weights = [Tensor]()
        let supervised = context.guidance?.choice
        for (i, layer) in decoderLayers.enumerated() {
            let head = supervised?.layer == i ? supervised?.head : nil
            let result = layer(y, targetMask: targetMask, memory: state.memory[i], sourceMask: state.sourceMask,
                               supervisedHead: head, context: &context)
            y = result.output
            weights.append(result.weights)
            if let headWeights = result.headWeights { context.superviseAttention(headWeights) }
        }
        return (decoderNorm.map { $0(y) } ?? y, weights)
    }

    /// Cross-attention while reading the batch's targets, for every decoder layer: `[B, h, T, S]`.
    public func crossAttention(_ batch: Batch) -> [Tensor] {
        inference {
            var context = ForwardContext.inference
            return decodeAll(batch, context: &context).weights
        }
    }

    /// Each choice's layer of cross-attention (or their mean), one head's or averaged over heads, from one pass.
    public func forcedAttention(_ batch: Batch, choices: [AttentionChoice]) -> [[[[Float]]]] {
        let weights = crossAttention(batch)
        return choices.map { attentionRows(weights, batch: batch, choice: $0) }
    }
}
