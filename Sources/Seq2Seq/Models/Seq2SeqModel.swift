import Autograd

/// What a decoder carries from one step to the next. Beam search keeps the rows of the
/// hypotheses that survive a step, so every tensor in it has the batch as its first axis.
public protocol DecodingState {
    /// The rows `indices` of every tensor (a row may be taken more than once).
    func selecting(rows indices: [Int]) -> Self
}

/// One of a model's attentions: a layer (0-based) or the mean over layers, and a head (0-based)
/// or the mean over heads.
public struct AttentionChoice: Equatable, Sendable {
    /// `nil`: the mean over the layers.
    public var layer: Int?
    /// `nil`: the mean over the layer's heads.
    public var head: Int?

    public init(layer: Int?, head: Int? = nil) {
        self.layer = layer
        self.head = head
    }
}

/// An encoder-decoder that training, greedy and beam search, evaluation and `align` can drive,
/// whatever its architecture.
///
/// Decoding is a loop of `step`s from `encode`'s state; training may instead compute every
/// target position at once (`teacherForcedOutputs`), as a Transformer does.
public protocol Seq2SeqModel: Module {
    associatedtype State: DecodingState

    /// The architecture and configuration a checkpoint records, enough to rebuild the model.
    var modelConfiguration: ModelConfiguration { get }
    /// How many attention layers `forcedAttention` can show (0 without attention), and how
    /// many heads each has.
    var attentionLayers: Int { get }
    var attentionHeads: Int { get }
    /// The attention `step` returns, which evaluation scores and `align` writes unless told
    /// otherwise (by default the last layer's, averaged over heads).
    var defaultAttention: AttentionChoice { get }
    /// The longest source (with `</s>`) or decoder input (with `<s>`) the model has positions
    /// for; `nil` when any length will do.
    var maximumSequenceLength: Int? { get }

    /// Encodes sources and prepares the decoder's first state.
    /// - Parameters:
    ///   - source: `[B, S]` ids, row-major, padded. - lengths: the real length of each row.
    func encode(source: [Int], lengths: [Int], context: inout ForwardContext) -> State

    /// One decoder step.
    /// - Parameter tokens: `y_{t−1}` for each row, `[B]`.
    /// - Returns: the output `[B, H]` (before the vocabulary projection), the attention weights
    ///   `[B, S]` (`nil` without attention), and the next state.
    func step(tokens: [Int], state: State, context: inout ForwardContext) -> (output: Tensor, weights: Tensor?, state: State)

    /// Vocabulary logits. - Parameter outputs: `[…, H]`. - Returns: `[…, V]`.
    func logits(_ outputs: Tensor) -> Tensor

    /// Decoder outputs `[B, T, H]` with the reference target fed in (teacher forcing).
    func teacherForcedOutputs(_ batch: Batch, context: inout ForwardContext) -> Tensor

    /// The attention paid while reading the batch's targets, for each choice (valid layers and
    /// heads): per pair `[T + 1][S + 1]` (a row per target word and `</s>`, a column per source
    /// word and `</s>`). Asked together, the choices share one forward pass.
    func forcedAttention(_ batch: Batch, choices: [AttentionChoice]) -> [[[[Float]]]]

    /// Whether training can supervise that attention (guided alignment): a layer and a head
    /// (the mean over either is not supervised). When `context.guidance` names it,
    /// `teacherForcedOutputs` hands it to `ForwardContext.superviseAttention`, on the tape.
    /// None by default.
    func canSupervise(_ choice: AttentionChoice) -> Bool
}

extension Seq2SeqModel {
    public func canSupervise(_ choice: AttentionChoice) -> Bool { false }

    /// Whether decoding yields attention weights over the source (what `align` writes).
    public var hasAttention: Bool { attentionLayers > 0 }

    /// One layer's attention or the mean over layers, one head's or the mean over heads: per
    /// pair `[T + 1][S + 1]`.
    /// - Parameters: - layer: 0-based, or `nil` for the mean. - head: 0-based, or `nil` for the mean.
    public func forcedAttention(_ batch: Batch, layer: Int?, head: Int?) -> [[[Float]]] {
        forcedAttention(batch, choices: [AttentionChoice(layer: layer, head: head)])[0]
    }

    public var defaultAttention: AttentionChoice { AttentionChoice(layer: Swift.max(attentionLayers - 1, 0)) }

    public var maximumSequenceLength: Int? { nil }

    /// Whether a sentence of `tokens` words, with its `</s>` or `<s>`, fits the model's positions.
    public func fits(tokens: Int) -> Bool { maximumSequenceLength.map { tokens + 1 <= $0 } ?? true }

    /// The attention `step` returns (`defaultAttention`): per pair `[T + 1][S + 1]`; empty rows
    /// without attention.
    public func forcedAttention(_ batch: Batch) -> [[[Float]]] {
        hasAttention ? forcedAttention(batch, choices: [defaultAttention])[0] : steppedAttention(batch)
    }

    /// The teacher-forced cross-entropy of a batch (mean over its target tokens), plus the
    /// terms the pass added to the context (`LossTerm`: coverage, guided alignment, hard
    /// attention's REINFORCE), which are then cleared.
    public func loss(_ batch: Batch, labelSmoothing: Float = 0, context: inout ForwardContext) -> Tensor {
        let logits = logits(teacherForcedOutputs(batch, context: &context))
        let loss = logits.crossEntropy(targets: batch.targetOutput, ignoreIndex: SpecialToken.padding, labelSmoothing: labelSmoothing)
        return context.addingLossTerms(to: loss, batch: batch, logits: logits)
    }

    /// The summed token negative log-likelihood of a batch, for perplexity.
    public func lossSum(_ batch: Batch, context: inout ForwardContext) -> Float {
        logits(teacherForcedOutputs(batch, context: &context))
            .crossEntropy(targets: batch.targetOutput, ignoreIndex: SpecialToken.padding, reduction: .sum).item
    }

    /// Step-by-step forced decoding, the attention each step returns: how a model with one
    /// attention answers `forcedAttention`.
    public func steppedAttention(_ batch: Batch) -> [[[Float]]] {
        inference {
            var context = ForwardContext.decoding
            var state = encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
            var matrices = [[[Float]]](repeating: [], count: batch.size)
            for t in 0..<batch.targetLength {
                let tokens = (0..<batch.size).map { batch.targetInput[$0 * batch.targetLength + t] }
                let (_, weights, next) = step(tokens: tokens, state: state, context: &context)
                if let weights {
                    for b in 0..<batch.size where t < batch.targetLengths[b] {
                        let row = weights.data + b * batch.sourceLength
                        matrices[b].append(Array(UnsafeBufferPointer(start: row, count: batch.sourceLengths[b])))
                    }
                }
                state = next
            }
            return matrices
        }
    }
}

/// The rows of attention weights that belong to each pair's words, averaged over the chosen
/// layers and heads: per pair `[T + 1][S + 1]`.
/// - Parameters:
///   - weights: per layer, `[B, h, T, S]`.
///   - choice: one layer or all, one head or all.
func attentionRows(_ weights: [Tensor], batch: Batch, choice: AttentionChoice) -> [[[Float]]] {
    let layers = choice.layer.map { [weights[$0]] } ?? weights
    guard let heads = layers.first?.shape[1] else { return [] }
    let t = batch.targetLength, s = batch.sourceLength
    let chosen = choice.head.map { $0..<$0 + 1 } ?? 0..<heads
    let count = Float(chosen.count * layers.count)
    return (0..<batch.size).map { b in
        (0..<batch.targetLengths[b]).map { row in
            (0..<batch.sourceLengths[b]).map { column in
                layers.reduce(Float(0)) { sum, layer in
                    chosen.reduce(sum) { $0 + layer.data[(($1 + b * heads) * t + row) * s + column] }
                } / count
            }
        }
    }
}
