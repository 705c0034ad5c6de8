/// The registry entry of convolutional encoder-decoders (`--arch conv`, Gehring et al. 2017):
/// its options fill `ConvConfiguration` (each default is the property's initial value).
///
/// A checkpoint calls the architecture `fconv`, the name of fairseq's model, whose parameter
/// names it uses (`encoder.convolutions.0.weight`, …).
extension Architecture {
    public static let conv = Architecture(
        name: "fconv", title: "Convolutional models",
        variants: [("conv", "a convolutional encoder-decoder with multi-step attention (Gehring et al. 2017)", ConvConfiguration())],
        options: [
            .integer("conv-layers", \.layers, help: "L convolutional blocks in the encoder and L in the decoder, each decoder block attending"),
            .integer("conv-channels", \.channels, help: "C, the width of every block"),
            .integer("kernel-width", \.kernelWidth, valueName: "K", help: "k, the convolutions' width (the decoder's are causal)"),
            .integer("embed-dim", \.embeddingWidth, help: "E, the token and position embedding width"),
            .number("dropout", \.dropout, valueName: "P", help: "before every convolution, on embeddings and before the output layer"),
            .integer("max-positions", \.maximumPositions, help: "the length of the learned position tables"),
        ]
    )
}
