import Foundation
import Seq2Seq

/// `attend eval`: scores translations against references (BLEU, chrF, exact match) and word
/// alignments against gold alignments (AER). Both kinds may be asked for in one call.
enum EvalCommand: Subcommand {
    static let name = "eval"
    static let summary = "score translations (BLEU, chrF, exact match) and alignments (AER)"
    static let usage = """
        usage: attend eval --hyp FILE --ref FILE [--json]
               attend eval --alignments FILE --gold FILE [--possible FILE] [--json]
               attend eval --model CHECKPOINT (--data DIR | --src FILE --ref FILE) [--json]

          --hyp FILE         translations, one per line ('-' reads standard input)
          --ref FILE         references, one per line, same count
          --alignments FILE  predicted word alignments, Pharaoh 'i-j' (source-target, 0-based)
          --gold FILE        gold sure alignments, Pharaoh, one line per sentence pair
          --possible FILE    gold possible alignments (added to the sure ones); default: none
          --model CHECKPOINT translate a test set greedily and score it, with teacher-forced perplexity
                             and, when gold alignments exist, the AER of the attention on the reference pairs
          --data DIR         with --model: the corpus folder (test.src, test.tgt, test.align if any)
          --src FILE         with --model: the source sentences, scored against --ref
          --json             print one JSON object instead of one line per metric

        BLEU and chrF2 are sacrebleu's defaults (13a tokenisation, exp smoothing; chrF n=6, beta=2).
        """

    static func run(_ arguments: inout Arguments) throws {
        let json = arguments.flag("json")
        let hypothesisPath = try arguments.string("hyp")
        let referencePath = try arguments.string("ref")
        let alignmentPath = try arguments.string("alignments")
        let goldPath = try arguments.string("gold")
        let possiblePath = try arguments.string("possible")
        let modelPath = try arguments.string("model")
        let dataPath = try arguments.string("data")
        let sourcePath = try arguments.string("src")
        try arguments.finish()

        if let modelPath {
            let report = try evaluateModel(modelPath, data: dataPath, source: sourcePath, reference: referencePath,
                                           gold: goldPath, possible: possiblePath, extra: hypothesisPath ?? alignmentPath)
            print(json ? try report.json() : report.lines().joined(separator: "\n"))
            return
        }
        if dataPath != nil || sourcePath != nil {
            throw CommandError.usage("--data and --src go with --model")
        }
        let wantsTranslation = hypothesisPath != nil || referencePath != nil
        let wantsAlignment = alignmentPath != nil || goldPath != nil || possiblePath != nil
        guard wantsTranslation || wantsAlignment else {
            throw CommandError.usage("nothing to evaluate: give --hyp and --ref, or --alignments and --gold")
        }

        var report = EvalReport()
        if wantsTranslation {
            guard let hypothesisPath, let referencePath else {
                throw CommandError.usage("--hyp and --ref go together")
            }
            let hypotheses = try readLines(hypothesisPath)
            let references = try readLines(referencePath)
            try checkCounts(hypothesisPath, hypotheses.count, referencePath, references.count)
            report.bleu = try BLEU.corpusScore(hypotheses: hypotheses, references: references)
            report.chrF = try CHRF.corpusScore(hypotheses: hypotheses, references: references)
            report.exactMatch = try ExactMatch.corpusScore(hypotheses: hypotheses, references: references)
        }
        if wantsAlignment {
            guard let alignmentPath, let goldPath else {
                throw CommandError.usage("--alignments and --gold go together (--possible needs both)")
            }
            let predicted = try readAlignments(alignmentPath)
            let sure = try readAlignments(goldPath)
            try checkCounts(alignmentPath, predicted.count, goldPath, sure.count)
            var possible: [Set<AlignmentLink>]?
            if let possiblePath {
                let links = try readAlignments(possiblePath)
                try checkCounts(possiblePath, links.count, goldPath, sure.count)
                possible = links
            }
            report.alignment = try AlignmentErrorRate.score(predicted: predicted, sure: sure, possible: possible)
        }
        print(json ? try report.json() : report.lines().joined(separator: "\n"))
    }

    /// Translates a test set with the model and scores everything that can be scored.
    private static func evaluateModel(_ modelPath: String, data: String?, source: String?, reference: String?,
                                      gold: String?, possible: String?, extra: String?) throws -> EvalReport {
        if extra != nil { throw CommandError.usage("--model translates for itself: leave out --hyp and --alignments") }
        let sourcePath: String, referencePath: String
        var goldPath = gold, possiblePath = possible
        if let data {
            guard source == nil, reference == nil else { throw CommandError.usage("give --data DIR or --src/--ref, not both") }
            func path(_ name: String) -> String { (data as NSString).appendingPathComponent(name) }
            (sourcePath, referencePath) = (path("test.src"), path("test.tgt"))
            if goldPath == nil, FileManager.default.fileExists(atPath: path("test.align")) { goldPath = path("test.align") }
            if possiblePath == nil, FileManager.default.fileExists(atPath: path("test.possible")) { possiblePath = path("test.possible") }
        } else {
            guard let source, let reference else { throw CommandError.usage("--model needs --data DIR, or --src and --ref") }
            (sourcePath, referencePath) = (source, reference)
        }
        let trained = try loadModel(modelPath)
        let sources = try readLines(sourcePath), references = try readLines(referencePath)
        try checkCounts(sourcePath, sources.count, referencePath, references.count)
        let evaluation: ModelEvaluation
        do {
            evaluation = try ModelEvaluation(trained, sources: sources.map(ParallelCorpus.tokenize),
                                             references: references.map(ParallelCorpus.tokenize))
        } catch { throw CommandError.failure("\(error)") }
        var report = EvalReport()
        report.bleu = try BLEU.corpusScore(hypotheses: evaluation.hypotheses, references: references)
        report.chrF = try CHRF.corpusScore(hypotheses: evaluation.hypotheses, references: references)
        report.exactMatch = try ExactMatch.corpusScore(hypotheses: evaluation.hypotheses, references: references)
        report.perplexity = (evaluation.perplexity, evaluation.lossPerToken, evaluation.tokens)
        if let goldPath, let predicted = evaluation.alignments {
            let sure = try readAlignments(goldPath)
            try checkCounts(goldPath, sure.count, sourcePath, sources.count)
            let possibleLinks = try possiblePath.map(readAlignments)
            report.alignment = try AlignmentErrorRate.score(predicted: predicted, sure: sure, possible: possibleLinks)
        }
        return report
    }

    private static func readAlignments(_ path: String) throws -> [Set<AlignmentLink>] {
        let lines = try readLines(path)
        do { return try Pharaoh.corpus(lines) } catch { throw CommandError.failure("\(path) \(error)") }
    }

    private static func checkCounts(_ path: String, _ count: Int, _ otherPath: String, _ otherCount: Int) throws {
        if count != otherCount {
            throw CommandError.failure("\(path) has \(count) lines but \(otherPath) has \(otherCount)")
        }
        if count == 0 { throw CommandError.failure("\(otherPath) is empty: nothing to score") }
    }
}
