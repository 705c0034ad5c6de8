import Autograd

/// A convolutional encoder-decoder with multi-step attention (Gehring et al. 2017,
/// "Convolutional Sequence to Sequence Learning"): `ConvEncoder`, `ConvDecoder`, and logits
/// `W_3 · output + b_3` (fairseq's `fc3`).
///
/// Every decoder layer attends; `step` returns the mean of the layers' weights (as fairseq's
/// `fconv` does), and `forcedAttention` any one layer's or that mean. Training reads the
/// whole target at once; decoding keeps each layer's last `k − 1` inputs, and shares greedy and
/// beam search with the other architectures.
public final class ConvSeq2Seq: Seq2SeqModel {
    public let configuration: ConvConfiguration
    let encoder: ConvEncoder
    let decoder: ConvDecoder

    public init(_ configuration: ConvConfiguration, generator: inout SeededGenerator) {
        self.configuration = configuration
        encoder = ConvEncoder(configuration, generator: &generator)
        decoder = ConvDecoder(configuration, generator: &generator)
    }

    public var modelConfiguration: ModelConfiguration { ModelConfiguration(architecture: Architecture.conv.name, configuration) }
    /// Each decoder layer's attention, with one head.
    public var attentionLayers: Int { configuration.layers }
    public var attentionHeads: Int { 1 }
    /// The mean over the decoder layers, what `step` returns.
    public var defaultAttention: AttentionChoice { AttentionChoice(layer: nil) }

    public var namedParameters: [(name: String, tensor: Tensor)] { prefixed("encoder", encoder) + prefixed("decoder", decoder) }

    /// The encoder's output, and each decoder layer's last `k − 1` inputs.
    public struct DecoderState: DecodingState {
        var memory: ConvMemory
        /// Per decoder layer, `[B, k − 1, C]` (`nil` for `k = 1`).
        public internal(set) var windows: [Tensor?]
        /// The next position to decode.
        public var position: Int

        public func selecting(rows indices: [Int]) -> DecoderState {
            DecoderState(memory: memory.selecting(rows: indices), windows: windows.map { $0?.rows(indices) }, position: position)
        }
    }

    public func encode(source: [Int], lengths: [Int], context: inout ForwardContext) -> DecoderState {
        let memory = encoder(source, lengths: lengths, attentionLayers: attentionLayers, context: &context)
        return DecoderState(memory: memory, windows: decoder.initialWindows(batch: lengths.count), position: 0)
    }

    /// One position; the weights are the mean over the decoder layers, `[B, S]`.
    public func step(tokens: [Int], state: DecoderState, context: inout ForwardContext)
        -> (output: Tensor, weights: Tensor?, state: DecoderState) {
        let (output, weights, windows) = decoder.step(tokens, position: state.position, windows: state.windows,
                                                      memory: state.memory, context: &context)
        let mean = weights.first.map { first in
            weights.dropFirst().reduce(first.detached()) { $0 + $1.detached() } * (1 / Float(weights.count))
        }
        let next = DecoderState(memory: state.memory, windows: windows, position: state.position + 1)
        return (output, mean?.reshaped([tokens.count, state.memory.mask.shape[2]]), next)
    }

    public func logits(_ outputs: Tensor) -> Tensor { decoder.fc3(outputs) }

    /// The whole target at once, each decoder convolution causal; with `context.guidance`, the
    /// named layer's attention `[B, T, S]` goes to guided alignment.
    public func teacherForcedOutputs(_ batch: Batch, context: inout ForwardContext) -> Tensor {
        let (output, weights) = decodeAll(batch, context: &context)
        if let layer = context.guidance?.choice.layer, weights.indices.contains(layer) { context.superviseAttention(weights[layer]) }
        return output
    }

    /// A decoder layer's attention (its one head).
    public func canSupervise(_ choice: AttentionChoice) -> Bool {
        choice.layer.map { (0..<attentionLayers).contains($0) } == true && choice.head == 0
    }

    private func decodeAll(_ batch: Batch, context: inout ForwardContext) -> (output: Tensor, weights: [Tensor]) {
        let memory = encoder(batch.source, lengths: batch.sourceLengths, attentionLayers: attentionLayers, context: &context)
        return decoder(batch.targetInput, batch: batch.size, memory: memory, context: &context)
    }

    /// Each choice's layer of attention, or the mean over layers, from one pass.
    public func forcedAttention(_ batch: Batch, choices: [AttentionChoice]) -> [[[[Float]]]] {
        let weights = withoutGradients {
            var context = ForwardContext.inference
            // [B, T, S] per layer, read as one head: [B, 1, T, S].
            return decodeAll(batch, context: &context).weights.map { $0.reshaped([batch.size, 1, batch.targetLength, batch.sourceLength]) }
        }
        return choices.map { attentionRows(weights, batch: batch, choice: $0) }
    }
}
