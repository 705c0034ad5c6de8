import Foundation

/// Corpus BLEU (Papineni et al. 2002, "BLEU: a Method for Automatic Evaluation of Machine
/// Translation"), computed exactly as sacrebleu 2.x does with its defaults: `13a` tokenisation,
/// mixed case, n-grams of order 1–4, one reference per segment, `exp` smoothing.
///
///     BLEU = 100 · BP · exp( (1/4) Σₙ log pₙ ),   BP = 1 if c ≥ r, else exp(1 − r/c)
///
/// where pₙ = (clipped n-gram matches) / (hypothesis n-grams), both summed over the whole corpus,
/// c is the total hypothesis length and r the total reference length, in tokens.
///
/// sacrebleu's corner cases, kept here because they decide the score on small or bad output:
/// - no matching n-gram of any order → BLEU = 0 (and every pₙ is reported as 0);
/// - `exp` smoothing (NIST's, "method 3" of Chen & Cherry 2014): the k-th order with zero matches
///   gets pₙ = 1 / (2ᵏ · total n-grams) instead of 0;
/// - an order with no hypothesis n-grams at all stops the loop; it and higher orders keep pₙ = 0,
///   whose log sacrebleu floors at −9 999 999 999, so the score is 0;
/// - c = 0 gives BP = 0.
public enum BLEU {
    /// The highest n-gram order.
    public static let maxOrder = 4

    /// The sufficient statistics of BLEU: they add up over segments, and the score is computed
    /// once from the corpus totals (never by averaging sentence scores).
    public struct Statistics: Equatable, Sendable {
        /// c: hypothesis tokens.
        public var hypothesisLength = 0
        /// r: reference tokens.
        public var referenceLength = 0
        /// Clipped n-gram matches, index n − 1.
        public var matches = [Int](repeating: 0, count: BLEU.maxOrder)
        /// Hypothesis n-grams, index n − 1.
        public var totals = [Int](repeating: 0, count: BLEU.maxOrder)

        public init() {}

        public static func += (lhs: inout Statistics, rhs: Statistics) {
            lhs.hypothesisLength += rhs.hypothesisLength
            lhs.referenceLength += rhs.referenceLength
            for n in 0..<BLEU.maxOrder {
                lhs.matches[n] += rhs.matches[n]
                lhs.totals[n] += rhs.totals[n]
            }
        }
    }

    /// The statistics of one segment against its reference, both tokenised with `13a`.
    public static func statistics(hypothesis: String, reference: String) -> Statistics {
        let hypothesisTokens = Tokenizer13a.tokenScalars(hypothesis)
        let referenceTokens = Tokenizer13a.tokenScalars(reference)
        let referenceCounts = ngramCounts(referenceTokens)
        var statistics = Statistics()
        statistics.hypothesisLength = hypothesisTokens.count
        statistics.referenceLength = referenceTokens.count
        for (ngram, count) in ngramCounts(hypothesisTokens) {
            statistics.totals[ngram.count - 1] += count
            if let available = referenceCounts[ngram] {
                statistics.matches[ngram.count - 1] += min(count, available)
            }
        }
        return statistics
    }

    /// Corpus BLEU of `hypotheses` against `references`, line by line.
    ///
    /// - Throws: `MetricError.segmentCountMismatch` when the two lists differ in length.
    public static func corpusScore(hypotheses: [String], references: [String]) throws -> BLEUScore {
        try MetricError.checkSegmentCounts(hypotheses: hypotheses.count, references: references.count)
        var total = Statistics()
        for (hypothesis, reference) in zip(hypotheses, references) {
            total += statistics(hypothesis: hypothesis, reference: reference)
        }
        return score(total)
    }

    /// BLEU from corpus statistics, with `exp` smoothing.
    public static func score(_ statistics: Statistics) -> BLEUScore {
        let c = statistics.hypothesisLength, r = statistics.referenceLength
        var brevityPenalty = 1.0
        if c < r { brevityPenalty = c > 0 ? exp(1 - Double(r) / Double(c)) : 0 }

        var precisions = [Double](repeating: 0, count: maxOrder)
        if statistics.matches.allSatisfy({ $0 == 0 }) {
            return BLEUScore(score: 0, precisions: precisions, brevityPenalty: brevityPenalty, statistics: statistics)
        }
        var smoothing = 1.0
        for n in 0..<maxOrder {
            let total = statistics.totals[n]
            if total == 0 { break }
            if statistics.matches[n] == 0 {
                smoothing *= 2
                precisions[n] = 100 / (smoothing * Double(total))
            } else {
                precisions[n] = 100 * Double(statistics.matches[n]) / Double(total)
            }
        }
        // sacrebleu floors log(0) at −9 999 999 999 rather than −∞; exp of it is 0 either way.
        let meanLog = precisions.map { $0 == 0 ? -9_999_999_999 : log($0) }.reduce(0, +) / Double(maxOrder)
        return BLEUScore(
            score: brevityPenalty * exp(meanLog), precisions: precisions,
            brevityPenalty: brevityPenalty, statistics: statistics)
    }

    /// Counts of every n-gram, 1 ≤ n ≤ 4, of a token sequence.
    private static func ngramCounts(_ tokens: [[Unicode.Scalar]]) -> [ArraySlice<[Unicode.Scalar]>: Int] {
        var counts: [ArraySlice<[Unicode.Scalar]>: Int] = [:]
        for n in 1...maxOrder where n <= tokens.count {
            for start in 0...(tokens.count - n) {
                counts[tokens[start..<(start + n)], default: 0] += 1
            }
        }
        return counts
    }
}

/// A corpus BLEU score with the details sacrebleu prints beside it.
public struct BLEUScore: Equatable, Sendable {
    /// BLEU on the 0–100 scale.
    public var score: Double
    /// The (smoothed) n-gram precisions pₙ in percent, n = 1…4.
    public var precisions: [Double]
    /// BP.
    public var brevityPenalty: Double
    /// The corpus statistics the score came from.
    public var statistics: BLEU.Statistics

    /// c / r, the hypothesis-to-reference length ratio (0 when the reference is empty).
    public var lengthRatio: Double {
        statistics.referenceLength > 0 ? Double(statistics.hypothesisLength) / Double(statistics.referenceLength) : 0
    }
}
