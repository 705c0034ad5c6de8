/// A batch of sentence pairs as padded id matrices, ready for a model.
///
/// Sources end with `</s>`, which gives attention a place to look for target words that have
/// no source word. Targets are shifted for teacher forcing: the decoder reads `<s> y₁ … y_n`
/// and is trained to emit `y₁ … y_n </s>`.
public struct Batch {
    /// `[B, S]`, row-major: `x₁ … x_m </s>`, padded with `SpecialToken.padding`.
    public var source: [Int]
    /// The real length of each source row (with its `</s>`).
    public var sourceLengths: [Int]
    /// The real length of each target row (with its `<s>`, or equally its `</s>`).
    public var targetLengths: [Int]
    /// `[B, T]`: `<s> y₁ … y_n`, padded.
    public var targetInput: [Int]
    /// `[B, T]`: `y₁ … y_n </s>`, padded.
    public var targetOutput: [Int]
    public var size: Int
    public var sourceLength: Int
    public var targetLength: Int
    /// Gold word alignments of the pairs, for guided alignment; `nil` when training has none.
    public var alignments: [Set<AlignmentLink>]?

    /// Pads, ends and shifts id sequences (given without `<s>`/`</s>`) into a batch.
    public init(sources: [[Int]], targets: [[Int]]) {
        precondition(sources.count == targets.count && !sources.isEmpty, "a batch needs as many targets as sources, and at least one")
        let sourceLength = (sources.map(\.count).max() ?? 0) + 1
        let targetLength = (targets.map(\.count).max() ?? 0) + 1
        func padding(_ n: Int) -> [Int] { Array(repeating: SpecialToken.padding, count: n) }
        size = sources.count
        self.sourceLength = sourceLength
        self.targetLength = targetLength
        sourceLengths = sources.map { $0.count + 1 }
        targetLengths = targets.map { $0.count + 1 }
        source = sources.flatMap { $0 + [SpecialToken.end] + padding(sourceLength - 1 - $0.count) }
        targetInput = targets.flatMap { [SpecialToken.start] + $0 + padding(targetLength - 1 - $0.count) }
        targetOutput = targets.flatMap { $0 + [SpecialToken.end] + padding(targetLength - 1 - $0.count) }
    }

    /// The number of target tokens the loss counts (with `</s>`).
    public var targetTokenCount: Int { targetOutput.filter { $0 != SpecialToken.padding }.count }
}

/// The ids every vocabulary reserves, in this order: `<pad> <unk> <s> </s>`.
public enum SpecialToken {
    public static let padding = 0
    public static let unknown = 1
    public static let start = 2
    public static let end = 3
    public static let all = ["<pad>", "<unk>", "<s>", "</s>"]
}
