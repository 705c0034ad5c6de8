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
    /// Whether an additive score reads the coverage vector `c_t = Σ_{t' < t} α_{t'}`
    /// (Tu et al. 2016; See et al. 2017); only bahdanau and luong-concat take it.
    public var coverage = false
    /// `λ` of See et al.'s coverage loss `λ Σ_i min(α_ti, c_ti)` per target step; 0 = none.
    public var coverageLoss: Float = 0
    /// How `hard` attention trains; other kinds ignore it.
    public var hard = HardAttentionSettings()
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
        if coverage && !attention.takesCoverage { return "--coverage applies to \(Self.coverageKinds)" }
        if !(coverageLoss >= 0) { return "--coverage-loss must not be negative" }
        if coverageLoss > 0 && !coverage { return "--coverage-loss needs --coverage" }
        if let problem = hard.problem() { return problem }
        return attention.problem(attentionShape)
    }

    /// The attention kinds `--coverage` applies to, for messages: `bahdanau and luong-concat`.
    static var coverageKinds: String { AttentionKind.allCases.filter(\.takesCoverage).map(\.rawValue).joined(separator: " and ") }

    /// The widths and settings the attention is built for.
    public var attentionShape: AttentionShape {
        AttentionShape(queryWidth: hiddenWidth, memoryWidth: memoryWidth, window: window, coverage: coverage, hard: hard)
    }
}

extension RNNConfiguration: ArchitectureConfiguration {
    public func makeModel(generator: inout SeededGenerator) -> any Seq2SeqModel { RNNSeq2Seq(self, generator: &generator) }

    public var summary: String {
        "\(cell.rawValue) + \(attention.rawValue)" + (attention.isLocal ? " (window \(window))" : "")
            + (coverage ? " with coverage" + (coverageLoss > 0 ? " (loss \(formatNumber(coverageLoss)))" : "") : "")
    }

    public var shortName: String { "\(cell.rawValue)-\(attention.rawValue)" + (coverage ? "-coverage" : "") }
}

extension RNNConfiguration {
    private enum CodingKeys: String, CodingKey {
        case cell, attention, layers, embeddingWidth, hiddenWidth, encoderWidth, bidirectional, dropout, inputFeeding, window
        case coverage, coverageLoss, hard
        case sourceVocabularySize, targetVocabularySize
    }

    /// Decodes every key as the synthesized decoder would, except that `window`, which
    /// checkpoints and `run.json` files written before local attention lack, defaults to 10,
    /// and the coverage and hard-attention settings, written only when they apply, to theirs.
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
        coverage = try container.decodeIfPresent(Bool.self, forKey: .coverage) ?? coverage
        coverageLoss = try container.decodeIfPresent(Float.self, forKey: .coverageLoss) ?? coverageLoss
        hard = try container.decodeIfPresent(HardAttentionSettings.self, forKey: .hard) ?? hard
        sourceVocabularySize = try container.decode(Int.self, forKey: .sourceVocabularySize)
        targetVocabularySize = try container.decode(Int.self, forKey: .targetVocabularySize)
    }

    /// As the synthesized encoder, but the coverage settings only with coverage and the hard
    /// settings only with hard attention, so that other models' configurations read as before.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cell, forKey: .cell)
        try container.encode(attention, forKey: .attention)
        try container.encode(layers, forKey: .layers)
        try container.encode(embeddingWidth, forKey: .embeddingWidth)
        try container.encode(hiddenWidth, forKey: .hiddenWidth)
        try container.encodeIfPresent(encoderWidth, forKey: .encoderWidth)
        try container.encode(bidirectional, forKey: .bidirectional)
        try container.encode(dropout, forKey: .dropout)
        try container.encode(inputFeeding, forKey: .inputFeeding)
        try container.encode(window, forKey: .window)
        if coverage {
            try container.encode(coverage, forKey: .coverage)
            try container.encode(coverageLoss, forKey: .coverageLoss)
        }
        if attention == .hard { try container.encode(hard, forKey: .hard) }
        try container.encode(sourceVocabularySize, forKey: .sourceVocabularySize)
        try container.encode(targetVocabularySize, forKey: .targetVocabularySize)
    }
}
