import Autograd

/// A decoded sentence with the attention that produced it.
public struct Hypothesis {
    /// Target ids, ending with `</s>` unless the length limit cut it.
    public var tokens: [Int]
    /// Per target token, the attention weights over the source positions and the source's
    /// `</s>` (`[T][S + 1]`); empty for a model without attention.
    public var attention: [[Float]]
    /// `Σ log p(y_t | y_<t, x)`.
    public var logProbability: Double
}

/// Greedy decoding: at each step, the most probable token.
public enum GreedySearch {
    /// - Parameters:
    ///   - sources: id sequences, without `</s>`.
    ///   - maximumLength: a limit per sentence, from its source length.
    public static func decode(_ model: some Seq2SeqModel, sources: [[Int]], maximumLength: (Int) -> Int) -> [Hypothesis] {
        inference {
            let batch = Batch(sources: sources, targets: sources.map { _ in [] })
            var context = ForwardContext.decoding
            var state = model.encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
            var hypotheses = sources.map { _ in Hypothesis(tokens: [], attention: [], logProbability: 0) }
            var finished = [Bool](repeating: false, count: sources.count)
            var tokens = [Int](repeating: SpecialToken.start, count: sources.count)
            let limit = sources.map { maximumLength($0.count) }
            for t in 0..<(limit.max() ?? 0) {
                let (out, weights, next) = model.step(tokens: tokens, state: state, context: &context)
                let logProbabilities = model.logits(out).logSoftmax()
                let vocabulary = logProbabilities.shape[1]
                for b in 0..<sources.count where !finished[b] {
                    let row = logProbabilities.data + b * vocabulary
                    var best = 0
                    for v in 1..<vocabulary where row[v] > row[best] { best = v }
                    hypotheses[b].tokens.append(best)
                    hypotheses[b].logProbability += Double(row[best])
                    if let weights {
                        let w = weights.data + b * batch.sourceLength
                        hypotheses[b].attention.append(Array(UnsafeBufferPointer(start: w, count: batch.sourceLengths[b])))
                    }
                    tokens[b] = best
                    if best == SpecialToken.end || t + 1 >= limit[b] { finished[b] = true }
                }
                if !finished.contains(false) { break }
                state = next
            }
            return hypotheses
        }
    }
}
