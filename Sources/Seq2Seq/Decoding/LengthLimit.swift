/// The longest translation decoding may produce for a source of `sourceLength` tokens:
/// `⌊ratio · |x|⌋ + 10` tokens with `</s>`, `2·|x| + 10` by default. Greedy and beam search stop
/// a hypothesis there; `translate`, `align`, validation and `eval` all use this one limit.
public func translationLengthLimit(sourceLength: Int, ratio: Double = 2) -> Int {
    Int(ratio * Double(sourceLength)) + 10
}
