import Foundation

/// Corpus chrF (Popović 2015, "chrF: character n-gram F-score for automatic MT evaluation"),
/// computed exactly as sacrebleu 2.x does with its defaults: character n-grams of order 1–6,
/// no word n-grams, β = 2, whitespace removed before counting, mixed case, one reference.
///
/// Per order n, the hypothesis, reference and clipped matching n-gram counts are summed over the
/// whole corpus; then, over the orders where both sides have n-grams ("effective order" N):
///
///     chrP = (1/N) Σₙ matchesₙ / hypₙ,   chrR = (1/N) Σₙ matchesₙ / refₙ
///     chrFβ = 100 · (1 + β²) · chrP · chrR / (β² · chrP + chrR)      (0 when chrP + chrR = 0)
///
/// As in sacrebleu, a segment whose reference has no n-gram of some order adds nothing to that
/// order's hypothesis count either, and n-grams are sequences of Unicode scalars (code points).
public enum CHRF {
    /// The highest character n-gram order.
    public static let charOrder = 6
    /// β: recall weighs β times as much as precision.
    public static let beta = 2

    /// The sufficient statistics of chrF, one entry per order (index n − 1); they add up over segments.
    public struct Statistics: Equatable, Sendable {
        public var hypothesisCounts = [Int](repeating: 0, count: CHRF.charOrder)
        public var referenceCounts = [Int](repeating: 0, count: CHRF.charOrder)
        public var matches = [Int](repeating: 0, count: CHRF.charOrder)

        public init() {}

        public static func += (lhs: inout Statistics, rhs: Statistics) {
            for n in 0..<CHRF.charOrder {
                lhs.hypothesisCounts[n] += rhs.hypothesisCounts[n]
                lhs.referenceCounts[n] += rhs.referenceCounts[n]
                lhs.matches[n] += rhs.matches[n]
            }
        }
    }

    /// The statistics of one segment against its reference.
    public static func statistics(hypothesis: String, reference: String) -> Statistics {
        let hypothesisChars = PythonWhitespace.removingAll(hypothesis.scalarArray)
        let referenceChars = PythonWhitespace.removingAll(reference.scalarArray)
        var statistics = Statistics()
        for n in 1...charOrder {
            let hypothesisNgrams = ngramCounts(hypothesisChars, order: n)
            let referenceNgrams = ngramCounts(referenceChars, order: n)
            var hypothesisCount = 0, matches = 0
            for (ngram, count) in hypothesisNgrams {
                hypothesisCount += count
                if let available = referenceNgrams[ngram] { matches += min(count, available) }
            }
            statistics.hypothesisCounts[n - 1] = referenceNgrams.isEmpty ? 0 : hypothesisCount
            statistics.referenceCounts[n - 1] = referenceNgrams.values.reduce(0, +)
            statistics.matches[n - 1] = matches
        }
        return statistics
    }

    /// Corpus chrF of `hypotheses` against `references`, line by line.
    ///
    /// - Throws: `MetricError.segmentCountMismatch` when the two lists differ in length.
    public static func corpusScore(hypotheses: [String], references: [String]) throws -> CHRFScore {
        try MetricError.checkSegmentCounts(hypotheses: hypotheses.count, references: references.count)
        var total = Statistics()
        for (hypothesis, reference) in zip(hypotheses, references) {
            total += statistics(hypothesis: hypothesis, reference: reference)
        }
        return score(total)
    }

    /// chrF from corpus statistics.
    public static func score(_ statistics: Statistics) -> CHRFScore {
        var precision = 0.0, recall = 0.0
        var effectiveOrder = 0
        for n in 0..<charOrder {
            let hypothesis = statistics.hypothesisCounts[n], reference = statistics.referenceCounts[n]
            guard hypothesis > 0, reference > 0 else { continue }
            precision += Double(statistics.matches[n]) / Double(hypothesis)
            recall += Double(statistics.matches[n]) / Double(reference)
            effectiveOrder += 1
        }
        if effectiveOrder > 0 {
            precision /= Double(effectiveOrder)
            recall /= Double(effectiveOrder)
        }
        let factor = Double(beta * beta)
        let value = precision + recall > 0
            ? 100 * (1 + factor) * precision * recall / (factor * precision + recall)
            : 0
        return CHRFScore(score: value, precision: precision, recall: recall, statistics: statistics)
    }

    private static func ngramCounts(_ chars: [Unicode.Scalar], order n: Int) -> [ArraySlice<Unicode.Scalar>: Int] {
        var counts: [ArraySlice<Unicode.Scalar>: Int] = [:]
        guard chars.count >= n else { return counts }
        for start in 0...(chars.count - n) { counts[chars[start..<(start + n)], default: 0] += 1 }
        return counts
    }
}

/// A corpus chrF score.
public struct CHRFScore: Equatable, Sendable {
    /// chrFβ on the 0–100 scale.
    public var score: Double
    /// chrP, the mean character n-gram precision over the effective orders (0–1).
    public var precision: Double
    /// chrR, the mean character n-gram recall over the effective orders (0–1).
    public var recall: Double
    /// The corpus statistics the score came from.
    public var statistics: CHRF.Statistics

    /// The metric's name as sacrebleu prints it: `chrF2`.
    public var name: String { "chrF\(CHRF.beta)" }
}
