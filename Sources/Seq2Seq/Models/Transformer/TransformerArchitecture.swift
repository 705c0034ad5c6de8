/// The registry entry of Transformers (`--arch transformer`): its options fill
/// `TransformerConfiguration` (each default is the property's initial value), and it trains
/// with Vaswani et al.'s schedule unless told otherwise.
extension Architecture {
    public static let transformer = Architecture(
        name: "transformer", title: "Transformer models",
        variants: [("transformer", "a Transformer encoder-decoder (Vaswani et al. 2017)", TransformerConfiguration())],
        options: [
            .integer("layers", \.layers, help: "L encoder and L decoder layers"),
            .integer("heads", \.heads, help: "h heads of width D / h"),
            // D sets the feed-forward width to 4·D too, unless --ff-dim (applied after it) says otherwise.
            .integer("model-dim", \.modelWidth, help: "D, the model width").then { $0.feedForwardWidth = 4 * $0.modelWidth },
            .integer("ff-dim", \.feedForwardWidth, help: "the feed-forward sublayer's inner width")
                .showingDefault { $0.feedForwardWidth == 4 * $0.modelWidth ? "4 × model-dim" : String($0.feedForwardWidth) },
            .number("dropout", \.dropout, valueName: "P", help: "on embeddings, sublayer outputs and the feed-forward hidden layer"),
            .choice("layer-norm", \.layerNorm, help: "post-norm (the paper) or pre-norm with a final LayerNorm on each stack"),
            .choice("activation", \.activation, help: "the feed-forward activation"),
            .choice("positions", \.positions, help: "fixed sinusoids (§3.5) or a learned table"),
            .integer("max-positions", \.maximumPositions, help: "the longest sequence positions are defined for"),
            .flag("tie-embeddings", \.tieEmbeddings, help: "the output projection reuses the target embedding matrix"),
        ],
        // Vaswani et al. 2017, §5.3–5.4: warm-up, β₂ = 0.98, label smoothing 0.1; a shorter warm-up
        // to a higher peak than their 4,000 steps, which on small corpora spent the first minutes
        // (README, "Transformer defaults").
        trainingDefaults: [OptionSetting("lr", "0.002"), OptionSetting("warmup", "200"), OptionSetting("label-smoothing", "0.1"),
                           OptionSetting("adam-beta2", "0.98")],
        benchmarks: [
            Benchmark(name: "transformer", summary: """
                3 + 3 post-norm layers, D = W, 4 heads, feed-forward 4·W, ReLU, sinusoidal positions,
                untied output layer
                """) { width, vocabulary, dropout in
                var c = TransformerConfiguration()
                (c.modelWidth, c.heads, c.layers, c.feedForwardWidth) = (width, 4, 3, 4 * width)
                (c.layerNorm, c.activation, c.positions) = (.post, .relu, .sinusoidal)
                c.tieEmbeddings = false
                c.dropout = dropout
                (c.sourceVocabularySize, c.targetVocabularySize) = (vocabulary, vocabulary)
                return ModelConfiguration(architecture: "transformer", c)
            },
        ]
    )
}
