import Foundation
import Seq2Seq

/// `attend eval`: scores translations against references (BLEU, chrF, exact match) and word
/// alignments against gold alignments (AER). Both kinds may be asked for in one call.
enum EvalCommand: Subcommand {
    static let name = "eval"
    static let summary = "score translations (BLEU, chrF, exact match) and alignments (AER)"
    static var usage: String {
        """
        usage: attend eval --hyp FILE --ref FILE [--json]
               attend eval --alignments FILE --gold FILE [--possible FILE] [--json]
               attend eval --model CHECKPOINT (--data DIR | --src FILE --ref FILE) [--json]

        \(OptionHelp.lines(Settings.options, defaults: Settings()))

        With --model: translate a test set greedily and score it, with teacher-forced perplexity and, when
        gold alignments exist, the AER of the attention on the reference pairs.
        BLEU and chrF2 are sacrebleu's defaults (13a tokenisation, exp smoothing; chrF n=6, beta=2).
        """
    }

    struct Settings {
        var hypotheses: String?
        var references: String?
        var alignments: String?
        var gold: String?
        var possible: String?
        var checkpoint = CheckpointSetting()
        var data: String?
        var sources: String?
        var json = false
        var engine = EngineSettings()

        static let options: [Option<Settings>] = [
            .text("hyp", \.hypotheses, valueName: "FILE", help: "translations, one per line ('-' reads standard input)"),
            .text("ref", \.references, valueName: "FILE", help: "references, one per line, same count"),
            .text("alignments", \.alignments, valueName: "FILE", help: "predicted word alignments, Pharaoh 'i-j' (source-target, 0-based)"),
            .text("gold", \.gold, valueName: "FILE", help: "gold sure alignments, Pharaoh, one line per sentence pair"),
            .text("possible", \.possible, valueName: "FILE", help: "gold possible alignments (added to the sure ones); default: none"),
        ] + CheckpointSetting.options.map { $0.lifted(\.checkpoint) } + [
            .text("data", \.data, valueName: "DIR", help: "with --model: the corpus folder (test.src, test.tgt, test.align if any)"),
            .text("src", \.sources, valueName: "FILE", help: "with --model: the source sentences, scored against --ref"),
            .flag("json", \.json, help: "print one JSON object instead of one line per metric"),
        ] + EngineSettings.options.map { $0.lifted(\.engine) }
    }

    static func run(_ arguments: inout Arguments) throws {
        var settings = Settings()
        try arguments.read(Settings.options, into: &settings)
        try arguments.finish()
        let json = settings.json
        let (hypothesisPath, referencePath, alignmentPath) = (settings.hypotheses, settings.references, settings.alignments)
        let (goldPath, possiblePath, modelPath) = (settings.gold, settings.possible, settings.checkpoint.path)
        let (dataPath, sourcePath) = (settings.data, settings.sources)

        if let modelPath {
            try settings.engine.apply()
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
        let sources = try readLines(sourcePath).map(ParallelCorpus.tokenize), references = try readLines(referencePath)
        try checkCounts(sourcePath, sources.count, referencePath, references.count)
        let referenceTokens = references.map(ParallelCorpus.tokenize)
        // A model trained on subwords reads pieces; its translations and alignments are joined back into words.
        let (sourcePieces, referencePieces) = trained.subwords.map { ($0.segmentSources(sources), $0.segmentTargets(referenceTokens)) }
            ?? (sources, referenceTokens)
        let evaluator = Evaluator(model: trained.model, targetVocabulary: trained.targetVocabulary, joinsSubwords: trained.subwords != nil)
        let evaluation: Evaluation
        do {
            evaluation = try evaluator.evaluate(sources: sourcePieces.map(trained.sourceVocabulary.encode),
                                                references: referencePieces.map(trained.targetVocabulary.encode),
                                                alignmentTokens: goldPath == nil ? nil : (sourcePieces, referencePieces))
        } catch { throw CommandError.failure("\(error)") }
        let hypotheses = evaluator.text(evaluation)
        var report = EvalReport()
        report.bleu = try BLEU.corpusScore(hypotheses: hypotheses, references: references)
        report.chrF = try CHRF.corpusScore(hypotheses: hypotheses, references: references)
        report.exactMatch = try ExactMatch.corpusScore(hypotheses: hypotheses, references: references)
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
