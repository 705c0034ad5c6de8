import Autograd

/// What `attend eval --model` measures on a test set: greedy translations, the teacher-forced
/// token loss (for perplexity), and the attention's hard alignments of the reference pairs.
public struct ModelEvaluation {
    /// Greedy translations, detokenised with single spaces.
    public var hypotheses: [String]
    /// Mean teacher-forced cross-entropy per reference token (with `</s>`), in nats.
    public var lossPerToken: Double
    /// The reference tokens the loss counts.
    public var tokens: Int
    /// Per reference pair, each target word linked to its strongest source word (no `</s>`);
    /// `nil` for a model without attention.
    public var alignments: [Set<AlignmentLink>]?

    public var perplexity: Double { Foundation.exp(lossPerToken) }

    public init(_ trained: TrainedModel, sources: [[String]], references: [[String]], batchSize: Int = 64) throws {
        let model = trained.model
        let sourceIDs = sources.map(trained.sourceVocabulary.encode)
        let targetIDs = references.map(trained.targetVocabulary.encode)
        hypotheses = []
        var totalLoss = 0.0
        tokens = 0
        var links: [Set<AlignmentLink>]? = model.hasAttention ? [] : nil
        for start in stride(from: 0, to: sources.count, by: Swift.max(1, batchSize)) {
            let range = start..<Swift.min(start + batchSize, sources.count)
            let chunkSources = Array(sourceIDs[range]), chunkTargets = Array(targetIDs[range])
            hypotheses += GreedySearch.decode(model, sources: chunkSources, maximumLength: { 2 * $0 + 10 })
                .map { trained.targetVocabulary.decode($0.tokens).joined(separator: " ") }
            let batch = Batch(sources: chunkSources, targets: chunkTargets)
            withoutGradients {
                var context = ForwardContext.inference
                totalLoss += Double(model.lossSum(batch, context: &context))
            }
            tokens += batch.targetTokenCount
            if links != nil {
                let matrices = ForcedDecoding.attention(model, sources: chunkSources, targets: chunkTargets)
                for (i, rows) in zip(range, matrices) {
                    let matrix = try AttentionMatrix(sourceTokens: sources[i] + ["</s>"], targetTokens: references[i] + ["</s>"], rows: rows)
                    links?.append(Set(PharaohWriter().links(for: matrix)))
                }
            }
        }
        lossPerToken = totalLoss / Double(Swift.max(tokens, 1))
        alignments = links
    }
}

import Foundation
