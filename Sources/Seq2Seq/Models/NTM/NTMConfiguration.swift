import Autograd

/// The shape of a Neural Turing Machine (Graves et al. 2014, "Neural Turing Machines"); saved in
/// checkpoints.
///
/// Dimension legend, the paper's letters beside the project's: `N` memory slots (rows) of width
/// `M`, `R` read heads, shifts `−K … K`; `H` the controller's width, `E` the embedding width.
/// The defaults are the paper's copy-task machine (§4.1, table 2: a memory of 128 × 20, an LSTM
/// controller, one read and one write head, shifts −1 … 1), with this project's `E` and `H`.
public struct NTMConfiguration: Codable, Equatable, Sendable {
    /// `E`, the width of the source and target token embeddings.
    public var embeddingWidth = 64
    /// `H`, the width of the LSTM controller.
    public var hiddenWidth = 128
    /// `N`, the rows of the memory.
    public var memorySlots = 128
    /// `M`, the width of each row.
    public var memoryWidth = 20
    /// `R`, the read heads (there is one write head).
    public var readHeads = 1
    /// `K`: a head may move by any of `−K … K` slots a step (eq. 8's shift weighting has `2K + 1` entries).
    public var shiftRange = 1
    public var sourceVocabularySize = 0
    public var targetVocabularySize = 0

    public init() {}

    /// `P`, what the controller emits per head: the key (`M`), `β`, `g`, the shift weighting
    /// (`2K + 1`) and `γ`. The write head emits `2M` more, the erase and add vectors.
    var addressingWidth: Int { memoryWidth + 2 * shiftRange + 4 }

    /// What the output layer reads: the controller's output and every head's read vector, `H + R·M`.
    var outputWidth: Int { hiddenWidth + readHeads * memoryWidth }

    /// A message for the first inconsistent setting, or `nil` when the configuration is usable.
    public func problem() -> String? {
        if embeddingWidth < 1 || hiddenWidth < 1 { return "--embed-dim and --hidden-dim must be positive" }
        if memorySlots < 1 || memoryWidth < 1 { return "--memory-slots and --memory-width must be positive" }
        if readHeads < 1 { return "--read-heads must be at least 1" }
        if shiftRange < 0 { return "--shift-range must be 0 or more" }
        if 2 * shiftRange + 1 > memorySlots { return "--shift-range \(shiftRange) needs at least \(2 * shiftRange + 1) memory slots" }
        return nil
    }
}

extension NTMConfiguration: ArchitectureConfiguration {
    public func makeModel(generator: inout SeededGenerator) -> any Seq2SeqModel { NeuralTuringMachine(self, generator: &generator) }

    public var summary: String {
        "ntm (LSTM controller of \(hiddenWidth), memory \(memorySlots) × \(memoryWidth), \(readHeads) read head\(readHeads == 1 ? "" : "s"), shifts ±\(shiftRange))"
    }

    public var shortName: String { "ntm" }
}
