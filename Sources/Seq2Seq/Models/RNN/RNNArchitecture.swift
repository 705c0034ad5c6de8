/// The registry entry of RNN encoder-decoders: `--arch rnn|gru|lstm` picks the cell, and these
/// options the rest of `RNNConfiguration` (each default is the property's initial value).
extension Architecture {
    public static let rnn = Architecture(
        name: "rnn", title: "RNN models",
        variants: [
            ("rnn", "an Elman RNN encoder-decoder", RNNConfiguration(cell: .rnn)),
            ("gru", "a GRU encoder-decoder", RNNConfiguration(cell: .gru)),
            ("lstm", "an LSTM encoder-decoder", RNNConfiguration(cell: .lstm)),
        ],
        options: [
            .choice("attention", \.attention, help: "how the decoder reads the source (README: Model); hard samples a location "
                        + "in training and reads the most probable one when translating and aligning"),
            .integer("window", \.window, valueName: "D", help: "local-m, local-p: attend to source positions within D of p_t")
                .requiring { configuration in
                    // Refused rather than ignored, so nobody believes a global attention was windowed.
                    guard configuration.attention.isLocal else {
                        let local = AttentionKind.allCases.filter(\.isLocal).map(\.rawValue)
                        throw OptionError.invalidValue(option: "window", message: "applies to \(local.joined(separator: " and "))")
                    }
                },
            .flag("coverage", \.coverage, help: "bahdanau, luong-concat: the score reads the attention each source word has had so far")
                .requiring { configuration in
                    guard configuration.attention.takesCoverage else {
                        throw OptionError.invalidValue(option: "coverage", message: "applies to \(RNNConfiguration.coverageKinds)")
                    }
                },
            .number("coverage-loss", \.coverageLoss, valueName: "λ", help: "with --coverage: add λ Σ_i min(α_ti, c_ti) per target step")
                .requiring { configuration in
                    guard configuration.coverage else { throw OptionError.invalidValue(option: "coverage-loss", message: "needs --coverage") }
                },
            hardOption(.number("hard-reinforce", \.hard.reinforce, valueName: "λ", help: "hard: the weight λ_r of the REINFORCE term")),
            hardOption(.number("hard-entropy", \.hard.entropy, valueName: "λ", help: "hard: the weight λ_e of the entropy bonus")),
            hardOption(.number("hard-soft-mix", \.hard.softMix, valueName: "P",
                               help: "hard: the chance a training sentence reads the expected context, not a sampled location")),
            .integer("layers", \.layers, help: "stacked recurrent layers in the encoder and in the decoder"),
            .integer("embed-dim", \.embeddingWidth, help: "E, the token embedding width"),
            .integer("hidden-dim", \.hiddenWidth, help: "H, the decoder state width"),
            .integer("encoder-hidden-dim", \.encoderWidth, unset: "hidden / 2",
                     help: "the encoder state width per direction (by default both directions together are H wide)"),
            .number("dropout", \.dropout, valueName: "P", help: "on embeddings, encoder outputs and decoder outputs"),
            .flag("unidirectional", \.bidirectional, setting: false, help: "a left-to-right encoder only"),
            .flag("no-input-feeding", \.inputFeeding, setting: false, help: "Luong: do not feed h̃_{t−1} to the next step"),
        ],
        benchmarks: [
            Benchmark(name: "gru-bahdanau", summary: """
                embeddings W, a bidirectional GRU encoder (W per direction), a tanh bridge, a GRU decoder
                (hidden W) reading [E y_{t−1}; c_t] with Bahdanau attention on s_{t−1}, a linear output layer
                """) { width, vocabulary, dropout in
                var c = RNNConfiguration(cell: .gru)
                c.attention = .bahdanau
                c.layers = 1
                (c.embeddingWidth, c.hiddenWidth, c.encoderWidth) = (width, width, width)
                c.bidirectional = true
                c.dropout = dropout
                (c.sourceVocabularySize, c.targetVocabularySize) = (vocabulary, vocabulary)
                return ModelConfiguration(architecture: "rnn", c)
            },
        ]
    )
}

extension RNNConfiguration {
    /// The defaults with another cell.
    public init(cell: CellKind) {
        self.init()
        self.cell = cell
    }
}

/// An option of `--attention hard`, refused with any other attention rather than ignored.
private func hardOption(_ option: Option<RNNConfiguration>) -> Option<RNNConfiguration> {
    option.requiring { configuration in
        guard configuration.attention == .hard else { throw OptionError.invalidValue(option: option.name, message: "applies to --attention hard") }
    }
}
