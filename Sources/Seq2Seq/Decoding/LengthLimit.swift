/// The longest translation decoding may produce for a source of `sourceLength` tokens:
/// `⌊ratio · |x|⌋ + 10` tokens with `</s>`, `2·|x| + 10` by default. Greedy and beam search stop
/// a hypothesis there; `translate`, `align`, validation and `eval` all use this one limit.
public func translationLengthLimit(sourceLength: Int, ratio: Double = 2) -> Int {
    Int(ratio * Double(sourceLength)) + 10
}

extension Seq2SeqModel {
    /// `translationLengthLimit`, and no longer than the model has positions for.
    public func translationLengthLimit(sourceLength: Int, ratio: Double = 2) -> Int {
        let limit = Seq2Seq.translationLengthLimit(sourceLength: sourceLength, ratio: ratio)
        return maximumSequenceLength.map { Swift.min(limit, $0 - 1) } ?? limit
    }

    /// The first of `sentences` (token lists) longer than the model's positions allow, as a
    /// message naming its line in `file`; `nil` when all fit.
    public func lengthProblem(_ sentences: [[String]], file: String) -> String? {
        guard let limit = maximumSequenceLength, let i = sentences.firstIndex(where: { !fits(tokens: $0.count) }) else { return nil }
        return "\(file):\(i + 1) has \(sentences[i].count) tokens, but this model reads at most \(limit - 1) "
            + "(--max-positions \(limit), with </s> or <s>)"
    }
}
