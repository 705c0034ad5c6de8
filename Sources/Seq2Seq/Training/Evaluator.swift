import Autograd
import Foundation

/// Scores a model on held-out pairs: teacher-forced loss and perplexity, and greedy-decoding
/// BLEU and exact match.
public struct Evaluator {
    public let model: any Seq2SeqModel
    public let targetVocabulary: Vocabulary

    public init(model: any Seq2SeqModel, targetVocabulary: Vocabulary) {
        self.model = model
        self.targetVocabulary = targetVocabulary
    }

    public func validate(_ pairs: [(source: [Int], target: [Int])], batchSize: Int) -> ValidationResult {
        guard !pairs.isEmpty else { return ValidationResult(loss: .nan, perplexity: .nan, bleu: 0, exactMatch: 0) }
        var totalLoss = 0.0, tokens = 0
        var hypotheses = [String](), references = [String]()
        for batch in Batcher(pairs: pairs, batchSize: batchSize, seed: 0).sequentialBatches() {
            withoutGradients {
                var context = ForwardContext.inference
                let sum = model.lossSum(batch, context: &context)
                totalLoss += Double(sum)
                tokens += batch.targetTokenCount
            }
        }
        for start in stride(from: 0, to: pairs.count, by: batchSize) {
            let slice = Array(pairs[start..<Swift.min(start + batchSize, pairs.count)])
            let decoded = GreedySearch.decode(model, sources: slice.map(\.source), maximumLength: { 2 * $0 + 10 })
            hypotheses += decoded.map { targetVocabulary.decode($0.tokens).joined(separator: " ") }
            references += slice.map { targetVocabulary.decode($0.target).joined(separator: " ") }
        }
        let loss = totalLoss / Double(Swift.max(tokens, 1))
        let bleu = (try? BLEU.corpusScore(hypotheses: hypotheses, references: references).score) ?? 0
        let exact = (try? ExactMatch.corpusScore(hypotheses: hypotheses, references: references).percent) ?? 0
        return ValidationResult(loss: loss, perplexity: Foundation.exp(loss), bleu: bleu, exactMatch: exact)
    }
}
