/// The registry entry of Neural Turing Machines (`--arch ntm`, Graves et al. 2014): its options
/// fill `NTMConfiguration` (each default is the property's initial value).
extension Architecture {
    public static let ntm = Architecture(
        name: "ntm", title: "Neural Turing Machines",
        variants: [("ntm", "an LSTM controller with a memory it reads and writes through soft heads (Graves et al. 2014)", NTMConfiguration())],
        options: [
            .integer("embed-dim", \.embeddingWidth, help: "E, the token embedding width"),
            .integer("hidden-dim", \.hiddenWidth, help: "H, the LSTM controller's width"),
            .integer("memory-slots", \.memorySlots, help: "N, the rows of the memory"),
            .integer("memory-width", \.memoryWidth, help: "M, the width of a memory row"),
            .integer("read-heads", \.readHeads, help: "R read heads (there is one write head)"),
            .integer("shift-range", \.shiftRange, valueName: "K", help: "a head moves by −K … K slots a step"),
        ]
    )
}
