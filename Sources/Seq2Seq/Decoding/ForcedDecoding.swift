import Autograd

/// The attention a model pays while it reads given target sentences (teacher forcing):
/// what `attend align --tgt` writes out.
public enum ForcedDecoding {
    /// - Returns: per pair, `[T + 1][S + 1]`: a row per target word and `</s>`, a column per
    ///   source word and `</s>`; empty rows for a model without attention.
    public static func attention(_ model: some Seq2SeqModel, sources: [[Int]], targets: [[Int]]) -> [[[Float]]] {
        model.forcedAttention(Batch(sources: sources, targets: targets))
    }
}
