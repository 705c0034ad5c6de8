/// Why a metric could not be computed from what it was given.
public enum MetricError: Error, Equatable, CustomStringConvertible {
    /// The hypotheses and references (or alignments and gold) differ in number of lines.
    case segmentCountMismatch(hypotheses: Int, references: Int)
    /// Line `line` (1-based) of a Pharaoh alignment holds `token`, which is not `i-j`.
    case malformedLink(line: Int, token: String)

    public var description: String {
        switch self {
        case let .segmentCountMismatch(hypotheses, references):
            return "\(hypotheses) hypothesis lines but \(references) reference lines"
        case let .malformedLink(line, token):
            return "line \(line): '\(token)' is not a Pharaoh link i-j (two non-negative integers)"
        }
    }

    static func checkSegmentCounts(hypotheses: Int, references: Int) throws {
        if hypotheses != references { throw MetricError.segmentCountMismatch(hypotheses: hypotheses, references: references) }
    }
}
