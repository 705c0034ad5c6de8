import Foundation

/// The dev-set figure that decides which checkpoint is best.
public enum ValidationMetric: String, CaseIterable, Codable, Sendable {
    case loss, bleu, exact

    /// Whether a larger value is better.
    var higherIsBetter: Bool { self != .loss }
}

/// One validation pass over the dev set.
public struct ValidationResult: Sendable {
    /// Mean teacher-forced cross-entropy per target token (with `</s>`).
    public var loss: Double
    public var perplexity: Double
    /// Greedy-decoding corpus BLEU, 0–100.
    public var bleu: Double
    /// Greedy-decoding exact-match accuracy, 0–100.
    public var exactMatch: Double

    public func value(of metric: ValidationMetric) -> Double {
        switch metric {
        case .loss: loss
        case .bleu: bleu
        case .exact: exactMatch
        }
    }
}

extension Evaluator {
    /// Validation: the evaluation of the dev pairs, scored against their references as the
    /// vocabulary reads them back (an unknown word is `<unk>` on both sides).
    public func validate(_ pairs: [(source: [Int], target: [Int])]) -> ValidationResult {
        guard !pairs.isEmpty,
              let evaluation = try? evaluate(sources: pairs.map(\.source), references: pairs.map(\.target)) else {
            return ValidationResult(loss: .nan, perplexity: .nan, bleu: 0, exactMatch: 0)
        }
        let hypotheses = text(evaluation)
        let references = pairs.map { words($0.target) }
        let bleu = (try? BLEU.corpusScore(hypotheses: hypotheses, references: references).score) ?? 0
        let exact = (try? ExactMatch.corpusScore(hypotheses: hypotheses, references: references).percent) ?? 0
        return ValidationResult(loss: evaluation.lossPerToken, perplexity: evaluation.perplexity, bleu: bleu, exactMatch: exact)
    }
}
