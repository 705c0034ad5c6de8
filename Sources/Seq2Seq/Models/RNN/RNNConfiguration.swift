import Autograd

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
    /// `D`, the half-width of local attention's window `[p_t − D, p_t + D]` (Luong et al. 2015,
    /// §3.2, who use 10); only local-m and local-p read it.
    public var window = 10
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
        if window < 1 { return "--window must be at least 1" }
        return attention.problem(attentionShape)
    }

    /// The widths the attention is built for.
    public var attentionShape: AttentionShape {
        AttentionShape(queryWidth: hiddenWidth, memoryWidth: memoryWidth, window: window)
    }
}

extension RNNConfiguration: ArchitectureConfiguration {
    public func makeModel(generator: inout SeededGenerator) -> any Seq2SeqModel { RNNSeq2Seq(self, generator: &generator) }

    public var summary: String { "\(cell.rawValue) + \(attention.rawValue)" + (attention.isLocal ? " (window \(window))" : "") }

    public var shortName: String { "\(cell.rawValue)-\(attention.rawValue)" }
}

extension RNNConfiguration {
    private enum CodingKeys: String, CodingKey {
        case cell, attention, layers, embeddingWidth, hiddenWidth, encoderWidth, bidirectional, dropout, inputFeeding, window
        case sourceVocabularySize, targetVocabularySize
    }

    /// Decodes every key as the synthesized decoder would, except that `window`, which
    /// checkpoints and `run.json` files written before local attention lack, defaults to 10.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cell = try container.decode(CellKind.self, forKey: .cell)
        attention = try container.decode(AttentionKind.self, forKey: .attention)
        layers = try container.decode(Int.self, forKey: .layers)
        embeddingWidth = try container.decode(Int.self, forKey: .embeddingWidth)
        hiddenWidth = try container.decode(Int.self, forKey: .hiddenWidth)
        encoderWidth = try container.decodeIfPresent(Int.self, forKey: .encoderWidth)
        bidirectional = try container.decode(Bool.self, forKey: .bidirectional)
        dropout = try container.decode(Float.self, forKey: .dropout)
        inputFeeding = try container.decode(Bool.self, forKey: .inputFeeding)
        window = try container.decodeIfPresent(Int.self, forKey: .window) ?? window  // the declared default
        sourceVocabularySize = try container.decode(Int.self, forKey: .sourceVocabularySize)
        targetVocabularySize = try container.decode(Int.self, forKey: .targetVocabularySize)
    }
}
