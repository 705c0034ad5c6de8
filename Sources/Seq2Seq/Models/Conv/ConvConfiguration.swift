import Autograd

/// The shape of a convolutional encoder-decoder (Gehring et al. 2017, "Convolutional Sequence
/// to Sequence Learning"); saved in checkpoints.
///
/// Every block is `C` channels wide, so no block needs a residual projection; embeddings,
/// attention's dot products and the output layer's input are `E` wide (fairseq's
/// `embed_dim` = `out_embed_dim`).
public struct ConvConfiguration: Codable, Equatable, Sendable {
    /// `L`: convolutional blocks in the encoder, and in the decoder (each with its attention).
    public var layers = 4
    /// `C`, the width of every block (its convolution has `2C` outputs, halved by the GLU).
    public var channels = 128
    /// `k`, the kernel width: the encoder pads `⌊(k − 1)/2⌋` before and `⌊k/2⌋` after, the
    /// decoder `k − 1` before (causal).
    public var kernelWidth = 3
    /// `E`, the width of token and position embeddings.
    public var embeddingWidth = 64
    /// Before every convolution, on embeddings and on the output layer's input.
    public var dropout: Float = 0
    /// The length of the learned position tables; later positions share the last row.
    public var maximumPositions = 512
    public var sourceVocabularySize = 0
    public var targetVocabularySize = 0

    public init() {}

    /// A message for the first inconsistent setting, or `nil` when the configuration is usable.
    public func problem() -> String? {
        if layers < 1 { return "--conv-layers must be at least 1" }
        if channels < 1 || embeddingWidth < 1 { return "--conv-channels and --embed-dim must be positive" }
        if kernelWidth < 1 { return "--kernel-width must be at least 1" }
        if !(0..<1).contains(dropout) { return "--dropout must be in [0, 1)" }
        if maximumPositions < 2 { return "--max-positions must be at least 2" }
        return nil
    }
}

extension ConvConfiguration: ArchitectureConfiguration {
    public func makeModel(generator: inout SeededGenerator) -> any Seq2SeqModel { ConvSeq2Seq(self, generator: &generator) }
    public var summary: String { "conv (\(layers) + \(layers) blocks of \(channels) channels, kernel width \(kernelWidth))" }
    public var shortName: String { "conv" }
}
