import Autograd
import Foundation

/// Beam search with the GNMT length penalty (Wu et al. 2016, §7):
/// a finished hypothesis `Y` scores `log P(Y | X) / lp(Y)`, `lp(Y) = ((5 + |Y|) / 6)^α`.
///
/// Several sentences are searched at once: the live hypotheses of every unfinished sentence
/// (up to `K` each) form the batch of each decoder step, and the decoder state follows the
/// survivors through `DecodingState.selecting(rows:)`, the same step function greedy decoding
/// and training use.
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

    /// One sentence.
    public func decode(_ model: some Seq2SeqModel, source: [Int], maximumLength: Int) -> [Hypothesis] {
        decode(model, sources: [source], maximumLength: { _ in maximumLength })[0]
    }

    /// The `bestCount` best hypotheses of each source, best first.
    /// - Parameters:
    ///   - sources: id sequences, without `</s>`.
    ///   - maximumLength: a limit per sentence, from its source length.
    public func decode(_ model: some Seq2SeqModel, sources: [[Int]], maximumLength: (Int) -> Int) -> [[Hypothesis]] {
        inference {
            let batch = Batch(sources: sources, targets: sources.map { _ in [] })
            var context = ForwardContext.decoding
            var state = model.encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
            let limits = sources.map { maximumLength($0.count) }
            // The live hypotheses of each sentence; row r of the state is the r-th live one in this order.
            var alive = sources.map { _ in [Hypothesis(tokens: [], attention: [], logProbability: 0)] }
            var finished = [[Hypothesis]](repeating: [], count: sources.count)
            for t in 0..<(limits.max() ?? 0) {
                let tokens = alive.flatMap { $0.map { $0.tokens.last ?? SpecialToken.start } }
                if tokens.isEmpty { break }
                let (out, weights, next) = model.step(tokens: tokens, state: state, context: &context)
                let logProbabilities = model.logits(out).logSoftmax()
                var parents = [Int](), firstRow = 0
                for sentence in sources.indices {
                    let rows = firstRow..<firstRow + alive[sentence].count
                    firstRow = rows.upperBound
                    guard !rows.isEmpty else { continue }
                    let survivors = advance(rows: rows, t: t, limit: limits[sentence], alive: alive[sentence],
                                            finished: &finished[sentence], logProbabilities: logProbabilities, weights: weights,
                                            sourceLength: batch.sourceLengths[sentence], stride: batch.sourceLength)
                    alive[sentence] = survivors.map(\.hypothesis)
                    parents += survivors.map(\.row)
                }
                if parents.isEmpty { break }
                state = next.selecting(rows: parents)
            }
            return finished.map { Array($0.prefix(bestCount)) }
        }
    }

    /// One step of one sentence, whose live hypotheses are the state's `rows`: its best `K`
    /// continuations. The finished ones join `finished` (kept sorted); the others are returned
    /// with the state row they continue — none once no live hypothesis can still enter the
    /// best finished ones.
    private func advance(rows: Range<Int>, t: Int, limit: Int, alive: [Hypothesis], finished: inout [Hypothesis],
                         logProbabilities: Tensor, weights: Tensor?, sourceLength: Int, stride: Int)
        -> [(hypothesis: Hypothesis, row: Int)] {
        let vocabulary = logProbabilities.shape[1]
        var candidates = [(row: Int, token: Int, score: Double)]()
        for (i, row) in rows.enumerated() {
            let scores = logProbabilities.data + row * vocabulary
            let top = (0..<vocabulary).sorted { scores[$0] > scores[$1] }.prefix(beamSize)
            candidates += top.map { (row, $0, alive[i].logProbability + Double(scores[$0])) }
        }
        candidates.sort { $0.score > $1.score }
        var survivors = [(hypothesis: Hypothesis, row: Int)]()
        for candidate in candidates.prefix(beamSize) {
            var hypothesis = alive[candidate.row - rows.lowerBound]
            hypothesis.tokens.append(candidate.token)
            hypothesis.logProbability = candidate.score
            if let weights {
                hypothesis.attention.append(Array(UnsafeBufferPointer(start: weights.data + candidate.row * stride, count: sourceLength)))
            }
            if candidate.token == SpecialToken.end || t + 1 >= limit {
                finished.append(hypothesis)
            } else {
                survivors.append((hypothesis, candidate.row))
            }
        }
        finished.sort { normalized($0) > normalized($1) }
        // A live score only falls, and its penalty is at most the longest one allowed.
        if finished.count >= bestCount, let best = survivors.map(\.hypothesis.logProbability).max() {
            let bound = best / Foundation.pow((5 + Double(limit)) / 6, lengthPenalty)
            if normalized(finished[bestCount - 1]) >= bound { return [] }
        }
        return survivors
    }
}
