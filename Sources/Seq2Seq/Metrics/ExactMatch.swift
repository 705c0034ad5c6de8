/// Sentence-level exact match: the share of hypotheses whose tokens equal their reference's.
///
///     accuracy = |{ k : tokens(hypₖ) = tokens(refₖ) }| / K
///
/// Tokens are the whitespace-separated words (Python's whitespace, as everywhere in these
/// metrics), so spacing differences do not count; case, punctuation and spelling do, scalar by
/// scalar. This is the "sequence accuracy" the algorithmic tasks (reverse, copy, sort) report.
public enum ExactMatch {
    /// The exact-match score of `hypotheses` against `references`, line by line.
    ///
    /// - Throws: `MetricError.segmentCountMismatch` when the two lists differ in length.
    public static func corpusScore(hypotheses: [String], references: [String]) throws -> ExactMatchScore {
        try MetricError.checkSegmentCounts(hypotheses: hypotheses.count, references: references.count)
        let matches = zip(hypotheses, references).filter { isMatch($0, $1) }.count
        return ExactMatchScore(matches: matches, total: hypotheses.count)
    }

    /// Whether `hypothesis` and `reference` have the same tokens.
    public static func isMatch(_ hypothesis: String, _ reference: String) -> Bool {
        PythonWhitespace.split(hypothesis.scalarArray) == PythonWhitespace.split(reference.scalarArray)
    }
}

/// How many segments matched exactly, out of how many.
public struct ExactMatchScore: Equatable, Sendable {
    public var matches: Int
    public var total: Int

    /// matches / total, in percent (0 for an empty corpus).
    public var percent: Double { total > 0 ? 100 * Double(matches) / Double(total) : 0 }
}
