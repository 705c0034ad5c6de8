import Autograd

/// An RNN encoder-decoder with the attention its configuration names.
///
/// Encoder: embeddings → (bi)directional stacked RNN → outputs `h̄ [B, S, M]`.
/// Bridge: `s₀ = tanh(W_b [h_fwd_last; h_bwd_first])` per layer.
/// Decoder step `t`, by where the attention sits (`SourceReading`, from `AttentionKind.Placement`):
/// - none: `s_t = RNN([E y_{t−1}; c], s_{t−1})` with `c` the encoder summary; output `s_t`.
/// - Bahdanau: `c_t = attend(s_{t−1})`, `s_t = RNN([E y_{t−1}; c_t], s_{t−1})`; output `s_t`.
/// - Luong: `s_t = RNN([E y_{t−1}; h̃_{t−1}], s_{t−1})` (input feeding), `c_t = attend(s_t)`,
///   output `h̃_t = tanh(W_c [c_t; s_t])`; the local kinds attend within a window around `p_t`.
/// With coverage, the attention also reads `c_t = Σ_{t' < t} α_{t'}`, kept in the state.
/// Logits are `W_o · output + b_o`.
public final class RNNSeq2Seq: Seq2SeqModel {
    public let configuration: RNNConfiguration
    let sourceEmbedding: Embedding
    let encoder: RecurrentNetwork
    let bridge: Linear
    let targetEmbedding: Embedding
    let decoder: RecurrentNetwork
    let reading: SourceReading
    let output: Linear

    public init(_ configuration: RNNConfiguration, generator: inout SeededGenerator) {
        let c = configuration
        self.configuration = c
        sourceEmbedding = Embedding(count: c.sourceVocabularySize, dimension: c.embeddingWidth,
                                    paddingIndex: SpecialToken.padding, generator: &generator)
        encoder = RecurrentNetwork(kind: c.cell, inputSize: c.embeddingWidth, width: c.resolvedEncoderWidth, layers: c.layers,
                                   bidirectional: c.bidirectional, dropout: c.dropout, generator: &generator)
        bridge = Linear(inputSize: c.memoryWidth, outputSize: c.hiddenWidth, generator: &generator)
        targetEmbedding = Embedding(count: c.targetVocabularySize, dimension: c.embeddingWidth,
                                    paddingIndex: SpecialToken.padding, generator: &generator)
        decoder = RecurrentNetwork(kind: c.cell, inputSize: c.embeddingWidth + SourceReading.fedWidth(c), width: c.hiddenWidth,
                                   layers: c.layers, dropout: c.dropout, generator: &generator)
        reading = SourceReading(c, generator: &generator)
        output = Linear(inputSize: c.hiddenWidth, outputSize: c.targetVocabularySize, generator: &generator)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        prefixed("encoder.embedding", sourceEmbedding) + prefixed("encoder.rnn", encoder)
            + prefixed("decoder.bridge", bridge) + prefixed("decoder.embedding", targetEmbedding)
            + prefixed("decoder.rnn", decoder) + reading.namedParameters + prefixed("decoder.output", output)
    }

    /// Hard attention's baseline, `decoder.attention.baseline`.
    public var namedBuffers: [(name: String, tensor: Tensor)] { reading.namedBuffers }

    public var modelConfiguration: ModelConfiguration { ModelConfiguration(architecture: Architecture.rnn.name, configuration) }
    /// One attention (none without), with one head.
    public var attentionLayers: Int { configuration.attention.makesWeights ? 1 : 0 }
    public var attentionHeads: Int { 1 }

    /// The encoder's view of a batch of sources, and the decoder's state.
    public struct DecoderState: DecodingState {
        /// One per decoder layer.
        public var recurrent: [RecurrentState]
        /// `h̃_{t−1}` for input feeding, `[B, H]`.
        public var attentional: Tensor?
        public var memory: AttentionMemory
        /// The encoder summary `[B, M]`, for `none`.
        public var summary: Tensor
        /// `t`, the step about to be taken, counting from 0: local-m's aligned position. Every
        /// row is at the same step (beam search keeps rows of one step), so rows keep it.
        public var step: Int
        /// The coverage `c_t = Σ_{t' < t} α_{t'}`, `[B, S]`, with `--coverage`.
        public var coverage: Tensor?

        /// The rows `indices` of every tensor, for beam search.
        public func selecting(rows indices: [Int]) -> DecoderState {
            DecoderState(recurrent: recurrent.map { $0.selecting(rows: indices) }, attentional: attentional?.rows(indices),
                         memory: memory.selecting(rows: indices), summary: summary.rows(indices), step: step,
                         coverage: coverage?.rows(indices))
        }
    }

    public func encode(source: [Int], lengths: [Int], context: inout ForwardContext) -> DecoderState {
        let batch = lengths.count, length = source.count / batch
        let c = configuration
        let embedded = context.dropout(sourceEmbedding(source, shape: [batch, length]), c.dropout)
        let masks = (0..<length).map { t in Tensor(shape: [batch, 1], scalars: lengths.map { t < $0 ? 1 : 0 }) }
        let padded = lengths.contains { $0 < length }
        let (outputs, finals) = encoder(embedded.transposed(0, 1), mask: padded ? masks : nil, context: &context)
        let memoryValues = context.dropout(outputs.transposed(0, 1), c.dropout)  // [B, S, M]
        let mask = Tensor(shape: [batch, length], scalars: lengths.flatMap { n in (0..<length).map { $0 < n ? 1 : 0 } })
        // The final states of each encoder layer, directions side by side: [B, M].
        let summaries = (0..<c.layers).map { layer in
            c.bidirectional ? Tensor.concat([finals[2 * layer].hidden, finals[2 * layer + 1].hidden], axis: 1) : finals[layer].hidden
        }
        let initial = summaries.map { summary -> RecurrentState in
            let s = bridge(summary).tanh()
            return RecurrentState(hidden: s, cell: c.cell == .lstm ? s : nil)
        }
        let feeding = c.attention.isLuong && c.inputFeeding ? Tensor.zeros([batch, c.hiddenWidth]) : nil
        return DecoderState(recurrent: initial, attentional: feeding, memory: reading.prepare(outputs: memoryValues, mask: mask),
                            summary: summaries[c.layers - 1], step: 0, coverage: c.coverage ? Tensor.zeros([batch, length]) : nil)
    }

    public func step(tokens: [Int], state: DecoderState, context: inout ForwardContext)
        -> (output: Tensor, weights: Tensor?, state: DecoderState) {
        let c = configuration
        let embedded = context.dropout(targetEmbedding(tokens, shape: [tokens.count]), c.dropout)
        var next = state
        next.step = state.step + 1
        switch reading {
        case .summary:
            let (s, states) = decoder.step(Tensor.concat([embedded, state.summary], axis: 1), states: state.recurrent, context: &context)
            next.recurrent = states
            return (context.dropout(s, c.dropout), nil, next)
        case .contextInput(let attention):
            let (contextVector, weights) = attend(attention, query: state.recurrent[c.layers - 1].hidden, state: state, next: &next,
                                                  context: &context)
            let (s, states) = decoder.step(Tensor.concat([embedded, contextVector], axis: 1), states: state.recurrent, context: &context)
            next.recurrent = states
            return (context.dropout(s, c.dropout), weights, next)
        case .attentionalOutput(let attention, let attentional):
            let input = state.attentional.map { Tensor.concat([embedded, $0], axis: 1) } ?? embedded
            let (s, states) = decoder.step(input, states: state.recurrent, context: &context)
            let (contextVector, weights) = attend(attention, query: s, state: state, next: &next, context: &context)
            let attended = attentional(Tensor.concat([contextVector, s], axis: 1)).tanh()
            next.recurrent = states
            if next.attentional != nil { next.attentional = attended }
            return (context.dropout(attended, c.dropout), weights, next)
        }
    }

    /// The step's attention; with coverage, `c_{t+1} = c_t + α_t` goes into `next`, and while
    /// training with `--coverage-loss` the step's `Σ_i min(α_ti, c_ti)` into the pass's loss.
    private func attend(_ attention: any AttentionMechanism, query: Tensor, state: DecoderState, next: inout DecoderState,
                        context: inout ForwardContext) -> (context: Tensor, weights: Tensor) {
        let (vector, weights) = attention(query: query, memory: state.memory, step: state.step, coverage: state.coverage, context: &context)
        if let coverage = state.coverage {
            if context.isTraining && configuration.coverageLoss > 0 {
                let owner = state.memory.values
                let term = context.lossTerm(of: CoverageLoss.self, owner: owner) ?? {
                    let term = CoverageLoss(weight: configuration.coverageLoss)
                    context.addLossTerm(term, owner: owner)
                    return term
                }()
                term.record(weights: weights, coverage: coverage)
            }
            next.coverage = coverage + weights
        }
        return (vector, weights)
    }

    public func logits(_ outputs: Tensor) -> Tensor { output(outputs) }

    /// Decoder outputs `[B, T, H]`, step by step with the reference target fed in; with
    /// `context.guidance`, the attention of every step, `[B, T, S]`, goes to guided alignment.
    public func teacherForcedOutputs(_ batch: Batch, context: inout ForwardContext) -> Tensor {
        var state = encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
        var outputs = [Tensor](), attention = [Tensor]()
        for t in 0..<batch.targetLength {
            let tokens = (0..<batch.size).map { batch.targetInput[$0 * batch.targetLength + t] }
            let (out, weights, next) = step(tokens: tokens, state: state, context: &context)
            outputs.append(out)
            if context.guidance != nil, let weights { attention.append(weights) }
            state = next
        }
        if !attention.isEmpty { context.superviseAttention(Tensor.stack(attention, axis: 1)) }
        // Stacked so one vocabulary projection covers all steps: [B, T, H] → [B, T, V].
        return Tensor.stack(outputs, axis: 1)
    }

    /// Its one attention (layer 1, head 1), when it has one.
    public func canSupervise(_ choice: AttentionChoice) -> Bool { hasAttention && choice == AttentionChoice(layer: 0, head: 0) }

    /// Its one attention, step by step, whatever the choices name.
    public func forcedAttention(_ batch: Batch, choices: [AttentionChoice]) -> [[[[Float]]]] {
        let matrices = steppedAttention(batch)
        return choices.map { _ in matrices }
    }
}
