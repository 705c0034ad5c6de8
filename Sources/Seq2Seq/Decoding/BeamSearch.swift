import Autograd
import Foundation

/// Beam search with the GNMT length penalty (Wu et al. 2016, §7):
/// a finished hypothesis `Y` scores `log P(Y | X) / lp(Y)`, `lp(Y) = ((5 + |Y|) / 6)^α`.
///
/// Each sentence is searched on its own, its `K` hypotheses forming the batch of every
/// decoder step; the decoder state follows the surviving hypotheses through
/// `DecoderState.selecting(rows:)`, the same step function greedy decoding and training use.
public struct BeamSearch {
    public var beamSize: Int
    /// α; 0 ranks by raw log-probability.
    public var lengthPenalty: Double
    /// How many hypotheses to return per sentence, best first.
    public var bestCount: Int

    public init(beamSize: Int, lengthPenalty: Double = 0.6, bestCount: Int = 1) {
        self.beamSize = Swift.max(1, beamSize)
        self.lengthPenalty = lengthPenalty
        self.bestCount = Swift.max(1, Swift.min(bestCount, beamSize))
    }

    /// `log P / lp(|Y|)`.
    public func normalized(_ hypothesis: Hypothesis) -> Double {
        hypothesis.logProbability / Foundation.pow((5 + Double(hypothesis.tokens.count)) / 6, lengthPenalty)
    }

    public func decode(_ model: some Seq2SeqModel, source: [Int], maximumLength: Int) -> [Hypothesis] {
        withoutGradients {
            let batch = Batch(sources: [source], targets: [[]])
            var context = ForwardContext.inference
            var state = model.encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
            var alive = [Hypothesis(tokens: [], attention: [], logProbability: 0)]
            var finished = [Hypothesis]()
            for t in 0..<maximumLength {
                let (out, weights, next) = model.step(tokens: alive.map { $0.tokens.last ?? SpecialToken.start }, state: state, context: &context)
                let logProbabilities = model.logits(out).logSoftmax()
                let vocabulary = logProbabilities.shape[1]
                // The best `K` continuations of every live hypothesis, then the best `K` overall.
                var candidates = [(parent: Int, token: Int, score: Double)]()
                for (i, hypothesis) in alive.enumerated() {
                    let row = logProbabilities.data + i * vocabulary
                    let top = (0..<vocabulary).sorted { row[$0] > row[$1] }.prefix(beamSize)
                    candidates += top.map { (i, $0, hypothesis.logProbability + Double(row[$0])) }
                }
                candidates.sort { $0.score > $1.score }
                var survivors = [Hypothesis](), parents = [Int]()
                for candidate in candidates.prefix(beamSize) {
                    var hypothesis = alive[candidate.parent]
                    hypothesis.tokens.append(candidate.token)
                    hypothesis.logProbability = candidate.score
                    if let weights {
                        let row = weights.data + candidate.parent * batch.sourceLength
                        hypothesis.attention.append(Array(UnsafeBufferPointer(start: row, count: batch.sourceLengths[0])))
                    }
                    if candidate.token == SpecialToken.end || t + 1 == maximumLength {
                        finished.append(hypothesis)
                    } else {
                        survivors.append(hypothesis)
                        parents.append(candidate.parent)
                    }
                }
                // Stop once no live hypothesis can still enter the best finished ones: a live
                // score only falls, and its penalty is at most the longest one allowed.
                finished.sort { normalized($0) > normalized($1) }
                if survivors.isEmpty { break }
                if finished.count >= bestCount {
                    let bound = survivors.map(\.logProbability).max()! / Foundation.pow((5 + Double(maximumLength)) / 6, lengthPenalty)
                    if normalized(finished[bestCount - 1]) >= bound { break }
                }
                alive = survivors
                state = next.selecting(rows: parents)
            }
            return Array(finished.prefix(bestCount))
        }
    }
}
