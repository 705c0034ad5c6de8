import Autograd

/// Where a Transformer layer normalises: after each residual sum (the paper's post-norm) or
/// before each sublayer (pre-norm, with a final normalisation of the stack's output).
public enum LayerNormPlacement: String, Codable, CaseIterable, Sendable {
    case pre, post
}

/// The feed-forward sublayer's activation.
public enum FeedForwardActivation: String, Codable, CaseIterable, Sendable {
    case relu, gelu
}

/// How positions enter a Transformer: fixed sinusoids (Vaswani et al. 2017, §3.5) or a learned
/// table of `maximumPositions` vectors.
public enum PositionEncoding: String, Codable, CaseIterable, Sendable {
    case sinusoidal, learned
}

/// The shape of a Transformer encoder-decoder; saved in checkpoints.
public struct TransformerConfiguration: Codable, Equatable, Sendable {
    /// `L`, for the encoder and for the decoder.
    public var layers = 2
    /// `h`.
    public var heads = 4
    /// `D`.
    public var modelWidth = 64
    /// The feed-forward sublayer's inner width.
    public var feedForwardWidth = 256
    public var dropout: Float = 0.1
    /// Pre-norm learns small corpora faster at the same rate (README, "Transformer defaults").
    public var layerNorm = LayerNormPlacement.pre
    public var activation = FeedForwardActivation.relu
    public var positions = PositionEncoding.sinusoidal
    /// The longest sequence (with `</s>` or `<s>`) positions are defined for.
    public var maximumPositions = 512
    /// Whether the output projection reuses the target embedding matrix (Press & Wolf 2017).
    public var tieEmbeddings = false
    public var sourceVocabularySize = 0
    public var targetVocabularySize = 0

    public init() {}

    /// `d_k = d_v = D / h`.
    public var headWidth: Int { modelWidth / Swift.max(heads, 1) }

    /// A message for the first inconsistent setting, or `nil` when the configuration is usable.
    public func problem() -> String? {
        if layers < 1 { return "--layers must be at least 1" }
        if heads < 1 || modelWidth < 1 || feedForwardWidth < 1 { return "--heads, --model-dim and --ff-dim must be positive" }
        if modelWidth % heads != 0 { return "--model-dim (\(modelWidth)) must be a multiple of --heads (\(heads))" }
        if !(0..<1).contains(dropout) { return "--dropout must be in [0, 1)" }
        if maximumPositions < 2 { return "--max-positions must be at least 2" }
        return nil
    }
}

extension TransformerConfiguration: ArchitectureConfiguration {
    public func makeModel(generator: inout SeededGenerator) -> any Seq2SeqModel { Transformer(self, generator: &generator) }
    public var summary: String { "transformer" }
    public var shortName: String { "transformer" }
}
