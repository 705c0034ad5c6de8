/// The shape of an RNN encoder-decoder; saved in checkpoints, so it is `Codable`.
public struct RNNConfiguration: Codable, Equatable, Sendable {
    public var cell: CellKind = .gru
    public var attention: AttentionKind = .bahdanau
    public var layers = 1
    public var embeddingWidth = 64
    /// `H`, the decoder state width.
    public var hiddenWidth = 128
    /// The encoder state width per direction; `nil` means `H / directions`, so the encoder
    /// outputs (both directions concatenated) are `H` wide, as OpenNMT's `brnn` does.
    public var encoderWidth: Int?
    public var bidirectional = true
    public var dropout: Float = 0
    /// Luong's input feeding (§3.3): the previous attentional state joins the decoder input.
    public var inputFeeding = true
    public var sourceVocabularySize = 0
    public var targetVocabularySize = 0

    public init() {}

    public var directions: Int { bidirectional ? 2 : 1 }
    /// The encoder's width per direction.
    public var resolvedEncoderWidth: Int { encoderWidth ?? Swift.max(1, hiddenWidth / directions) }
    /// `M`, the width of the encoder outputs attention reads.
    public var memoryWidth: Int { resolvedEncoderWidth * directions }

    /// A message for the first inconsistent setting, or `nil` when the configuration is usable.
    public func problem() -> String? {
        if layers < 1 { return "--layers must be at least 1" }
        if embeddingWidth < 1 || hiddenWidth < 1 { return "--embed-dim and --hidden-dim must be positive" }
        if let width = encoderWidth, width < 1 { return "--encoder-hidden-dim must be positive" }
        if !(0..<1).contains(dropout) { return "--dropout must be in [0, 1)" }
        if attention == .luongDot && memoryWidth != hiddenWidth {
            return "luong-dot needs encoder outputs as wide as the decoder state (\(memoryWidth) vs \(hiddenWidth)); drop --encoder-hidden-dim or use luong-general"
        }
        return nil
    }
}
