import Foundation
import Seq2Seq

/// What `attend eval` found, printed as one line per metric or as one JSON object.
struct EvalReport {
    var bleu: BLEUScore?
    var chrF: CHRFScore?
    var exactMatch: ExactMatchScore?
    var alignment: AlignmentScore?
    /// Teacher-forced perplexity of a model on the references, with its mean token loss.
    var perplexity: (perplexity: Double, loss: Double, tokens: Int)?

    /// One human-readable line per metric, sacrebleu-like.
    func lines() -> [String] {
        var lines: [String] = []
        if let bleu {
            let precisions = bleu.precisions.map { format($0, 1) }.joined(separator: "/")
            let counts = bleu.statistics
            lines.append("BLEU = \(format(bleu.score, 2)) (1-4 gram precisions \(precisions), BP \(format(bleu.brevityPenalty, 3)),"
                + " ratio \(format(bleu.lengthRatio, 3)), hyp \(counts.hypothesisLength) ref \(counts.referenceLength) tokens)")
        }
        if let chrF {
            lines.append("\(chrF.name) = \(format(chrF.score, 2))")
        }
        if let exactMatch {
            lines.append("exact match = \(format(exactMatch.percent, 1))% (\(exactMatch.matches)/\(exactMatch.total))")
        }
        if let perplexity {
            lines.append("perplexity = \(format(perplexity.perplexity, 3)) (teacher-forced on the references:"
                + " mean loss \(format(perplexity.loss, 4)) nats over \(perplexity.tokens) tokens with </s>)")
        }
        if let alignment {
            lines.append("AER = \(format(alignment.errorRate, 4)) (precision \(format(alignment.precision, 4)),"
                + " recall \(format(alignment.recall, 4)), \(alignment.predictedLinks) links;"
                + " gold \(alignment.sureLinks) sure, \(alignment.possibleLinks) possible)")
        }
        return lines
    }

    /// The same numbers, unrounded, as one JSON object with sorted keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let document = Document(
            bleu: bleu.map {
                .init(score: $0.score, precisions: $0.precisions, brevityPenalty: $0.brevityPenalty,
                      lengthRatio: $0.lengthRatio, hypLength: $0.statistics.hypothesisLength,
                      refLength: $0.statistics.referenceLength, matches: $0.statistics.matches,
                      totals: $0.statistics.totals)
            },
            chrf: chrF.map { .init(name: $0.name, score: $0.score, precision: $0.precision, recall: $0.recall) },
            exactMatch: exactMatch.map { .init(percent: $0.percent, matches: $0.matches, total: $0.total) },
            aer: alignment.map {
                .init(aer: $0.errorRate, precision: $0.precision, recall: $0.recall, links: $0.predictedLinks,
                      sureLinks: $0.sureLinks, possibleLinks: $0.possibleLinks,
                      sureMatches: $0.sureMatches, possibleMatches: $0.possibleMatches)
            },
            perplexity: perplexity.map { .init(perplexity: $0.perplexity, loss: $0.loss, tokens: $0.tokens, teacherForced: true) })
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    private func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    /// The JSON shape; absent metrics are left out.
    private struct Document: Encodable {
        struct BLEUEntry: Encodable {
            var score: Double, precisions: [Double], brevityPenalty: Double, lengthRatio: Double
            var hypLength: Int, refLength: Int, matches: [Int], totals: [Int]
            enum CodingKeys: String, CodingKey {
                case score, precisions, matches, totals
                case brevityPenalty = "bp", lengthRatio = "ratio", hypLength = "hyp_len", refLength = "ref_len"
            }
        }
        struct CHRFEntry: Encodable { var name: String, score: Double, precision: Double, recall: Double }
        struct ExactMatchEntry: Encodable { var percent: Double, matches: Int, total: Int }
        struct AEREntry: Encodable {
            var aer: Double, precision: Double, recall: Double, links: Int
            var sureLinks: Int, possibleLinks: Int, sureMatches: Int, possibleMatches: Int
            enum CodingKeys: String, CodingKey {
                case aer, precision, recall, links
                case sureLinks = "sure_links", possibleLinks = "possible_links"
                case sureMatches = "sure_matches", possibleMatches = "possible_matches"
            }
        }
        var bleu: BLEUEntry?
        var chrf: CHRFEntry?
        var exactMatch: ExactMatchEntry?
        var aer: AEREntry?
        var perplexity: PerplexityEntry?
        struct PerplexityEntry: Encodable {
            var perplexity: Double, loss: Double, tokens: Int, teacherForced: Bool
            enum CodingKeys: String, CodingKey { case perplexity, loss, tokens, teacherForced = "teacher_forced" }
        }
        enum CodingKeys: String, CodingKey { case bleu, chrf, aer, perplexity, exactMatch = "exact_match" }
    }
}
