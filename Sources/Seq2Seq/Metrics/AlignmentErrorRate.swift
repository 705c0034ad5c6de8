/// Alignment error rate (Och & Ney 2003, "A Systematic Comparison of Various Statistical
/// Alignment Models", Computational Linguistics 29(1), section 5).
///
/// With A the predicted links, S the gold "sure" links and P ⊇ S the gold "possible" links,
/// all counted over the whole corpus:
///
///     precision = |A ∩ P| / |A|,   recall = |A ∩ S| / |S|,
///     AER = 1 − (|A ∩ S| + |A ∩ P|) / (|A| + |S|)
///
/// Gold with sure links only means P = S, and then AER = 1 − F₁(precision, recall).
/// Possible links given separately are added to the sure ones (P = S ∪ possible), so a possible
/// file may list either all of P or only P \ S. Empty cases are vacuous: with no predicted link
/// precision is 1, with no sure link recall is 1, and with neither AER is 0.
public enum AlignmentErrorRate {
    /// AER of `predicted` against the gold alignments, sentence by sentence.
    ///
    /// - Parameters:
    ///   - predicted: A, one set of links per sentence.
    ///   - sure: S, one set per sentence.
    ///   - possible: extra possible links, one set per sentence, or nil for P = S.
    /// - Throws: `MetricError.segmentCountMismatch` when the lists differ in length.
    public static func score(
        predicted: [Set<AlignmentLink>], sure: [Set<AlignmentLink>], possible: [Set<AlignmentLink>]? = nil
    ) throws -> AlignmentScore {
        try MetricError.checkSegmentCounts(hypotheses: predicted.count, references: sure.count)
        if let possible {
            try MetricError.checkSegmentCounts(hypotheses: predicted.count, references: possible.count)
        }
        var score = AlignmentScore()
        for index in predicted.indices {
            let a = predicted[index], s = sure[index]
            let p = s.union(possible?[index] ?? [])
            score.predictedLinks += a.count
            score.sureLinks += s.count
            score.possibleLinks += p.count
            score.sureMatches += a.intersection(s).count
            score.possibleMatches += a.intersection(p).count
        }
        return score
    }
}

/// The link counts AER is made of, summed over a corpus, and the rates computed from them.
public struct AlignmentScore: Equatable, Sendable {
    /// |A|.
    public var predictedLinks = 0
    /// |S|.
    public var sureLinks = 0
    /// |P| (P ⊇ S).
    public var possibleLinks = 0
    /// |A ∩ S|.
    public var sureMatches = 0
    /// |A ∩ P|.
    public var possibleMatches = 0

    public init() {}

    /// |A ∩ P| / |A| (1 when A is empty).
    public var precision: Double {
        predictedLinks > 0 ? Double(possibleMatches) / Double(predictedLinks) : 1
    }

    /// |A ∩ S| / |S| (1 when S is empty).
    public var recall: Double {
        sureLinks > 0 ? Double(sureMatches) / Double(sureLinks) : 1
    }

    /// 1 − (|A ∩ S| + |A ∩ P|) / (|A| + |S|) (0 when A and S are both empty).
    public var errorRate: Double {
        let denominator = predictedLinks + sureLinks
        return denominator > 0 ? 1 - Double(sureMatches + possibleMatches) / Double(denominator) : 0
    }
}
