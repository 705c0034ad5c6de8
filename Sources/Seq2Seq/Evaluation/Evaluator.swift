import Autograd
import Foundation

/// Scores a model on held-out pairs: its greedy translations (for BLEU, chrF, exact match),
/// the teacher-forced loss of the references (for perplexity), and, when asked, the hard
/// alignments its attention makes on the reference pairs (for AER). Validation during training
/// and `attend eval --model` both use it.
public struct Evaluator {
    public let model: any Seq2SeqModel
    public let targetVocabulary: Vocabulary
    /// Pairs per forward pass.
    public let batchSize: Int
    /// Whether target tokens are subword pieces, joined into words before scoring.
    public let joinsSubwords: Bool

    public init(model: any Seq2SeqModel, targetVocabulary: Vocabulary, batchSize: Int = 64, joinsSubwords: Bool = false) {
        self.model = model
        self.targetVocabulary = targetVocabulary
        self.batchSize = Swift.max(1, batchSize)
        self.joinsSubwords = joinsSubwords
    }

    /// - Parameters:
    ///   - sources: source ids, without `</s>`. - references: target ids, as many.
    ///   - alignmentTokens: the pairs' tokens, to read hard alignments off the attention
    ///     (`PharaohWriter`); `nil` for none, and a model without attention makes none. With
    ///     `joinsSubwords` they are pieces, and the links are between the words they join into.
    /// - Throws: `AttentionMatrixError` when an attention row does not fit its pair.
    public func evaluate(sources: [[Int]], references: [[Int]],
                         alignmentTokens: (sources: [[String]], references: [[String]])? = nil) throws -> Evaluation {
        var evaluation = Evaluation(translations: [], lossSum: 0, tokens: 0, alignments: nil)
        if alignmentTokens != nil, model.hasAttention { evaluation.alignments = [] }
        for start in stride(from: 0, to: sources.count, by: batchSize) {
            let range = start..<Swift.min(start + batchSize, sources.count)
            let chunkSources = Array(sources[range]), chunkReferences = Array(references[range])
            evaluation.translations += GreedySearch.decode(model, sources: chunkSources,
                                                           maximumLength: { model.translationLengthLimit(sourceLength: $0) }).map(\.tokens)
            let batch = Batch(sources: chunkSources, targets: chunkReferences)
            inference {
                var context = ForwardContext.inference
                evaluation.lossSum += Double(model.lossSum(batch, context: &context))
            }
            evaluation.tokens += batch.targetTokenCount
            if let tokens = alignmentTokens, evaluation.alignments != nil {
                for (i, rows) in zip(range, model.forcedAttention(batch)) {
                    let matrix = try AttentionMatrix(sourceTokens: tokens.sources[i] + ["</s>"],
                                                     targetTokens: tokens.references[i] + ["</s>"], rows: rows)
                    evaluation.alignments?.append(Set(PharaohWriter().links(for: joinsSubwords ? try matrix.joiningSubwords() : matrix)))
                }
            }
        }
        return evaluation
    }

    /// The translations as text, detokenised with single spaces (subword pieces joined).
    public func text(_ evaluation: Evaluation) -> [String] {
        evaluation.translations.map(words)
    }

    /// Target ids as words separated by single spaces.
    public func words(_ ids: [Int]) -> String {
        let tokens = targetVocabulary.decode(ids)
        return (joinsSubwords ? BPECodes.join(tokens) : tokens).joined(separator: " ")
    }
}

/// What an `Evaluator` measured.
public struct Evaluation {
    /// Greedy translations, target ids up to `</s>` (or the length limit).
    public var translations: [[Int]]
    /// The summed teacher-forced cross-entropy of the reference tokens (with `</s>`), in nats.
    public var lossSum: Double
    /// The reference tokens the loss counts.
    public var tokens: Int
    /// Per reference pair, each target word linked to its strongest source word (no `</s>`);
    /// `nil` when not asked for, or for a model without attention.
    public var alignments: [Set<AlignmentLink>]?

    /// The mean loss per reference token.
    public var lossPerToken: Double { lossSum / Double(Swift.max(tokens, 1)) }
    public var perplexity: Double { Foundation.exp(lossPerToken) }
}
