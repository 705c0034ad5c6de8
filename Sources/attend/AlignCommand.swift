import Foundation
import Seq2Seq

/// `attend align`: the attention matrix of every sentence pair, as CSV, Pharaoh links or SVG.
enum AlignCommand: Subcommand {
    static let name = "align"
    static let summary = "dump attention alignments (csv, long, pharaoh, svg)"
    static var usage: String {
        """
        usage: attend align --model CHECKPOINT --src FILE [--tgt FILE] [--format csv|long|pharaoh|svg] --out PATH
                            [--layer L|all] [--head H|all] [--memory] [--subwords]

        \(OptionHelp.lines(Settings.options, defaults: Settings()))
          --format:  csv: PATH/000001.csv … (target × source matrix, </s> included, rows sum to 1)
                     long: one CSV at PATH (sentence,target_index,target_token,source_index,source_token,weight)
                     pharaoh: one line of i-j links per sentence at PATH (each target word to its strongest source word)
                     svg: PATH/000001.svg … heatmaps for a browser
          Several layers or heads put their names in the files: 000001.layer2.head3.csv, align.layer1.txt
          Hard attention (--attention hard) reads the most probable location; align writes its distribution α (pharaoh: the argmax)
          A model trained on subwords (train --bpe) reads and writes words: a target word's row is the mean of its
          pieces' rows, a source word's column the sum of its pieces' columns (rows still sum to 1); --subwords
          writes the pieces' own matrix instead
          --memory:  000001.write.csv (a row per source step) and 000001.read.csv (a row per target step; read1, read2, …
                     with several read heads), a column per memory slot
        """
    }

    struct Settings {
        var checkpoint = CheckpointSetting()
        var source: String?
        var target: String?
        var format = AlignmentFormat.defaultFormat
        var out: String?
        var layer: String?
        var head: String?
        var memory = false
        var subwords = false
        var engine = EngineSettings()

        static let options: [Option<Settings>] = CheckpointSetting.options.map { $0.lifted(\.checkpoint) } + [
            .text("src", \.source, valueName: "FILE", help: "source sentences"),
            .text("tgt", \.target, valueName: "FILE", help: "target sentences to force-decode; without it, the model's own greedy translations"),
            .choice("format", \.format, help: "the output format (below)"),
            .text("out", \.out, valueName: "PATH", help: "a folder (csv, svg) or a file (long, pharaoh; - for stdout)"),
            .text("layer", \.layer, valueName: "L|all", unset: "the model's",
                  help: "for models with several attention layers, which decoder layer, 1 … L; by default a Transformer's last, "
                      + "the average over a conv model's layers"),
            .text("head", \.head, valueName: "H|all", unset: "the mean over heads", help: "for models with several heads, which one, 1 … h"),
            .flag("memory", \.memory, help: "for models with an external memory (--arch ntm): the raw write and read weightings over its slots"),
            .flag("subwords", \.subwords, help: "for models trained on subwords: the attention between pieces, not words"),
        ] + EngineSettings.options.map { $0.lifted(\.engine) }
    }

    static func run(_ arguments: inout Arguments) throws {
        var settings = Settings()
        try arguments.read(Settings.options, into: &settings)
        try arguments.finish()
        let modelPath = try settings.checkpoint.required()
        guard let sourcePath = settings.source else { throw CommandError.usage("--src is required") }
        guard let out = settings.out else { throw CommandError.usage("--out is required") }
        let format = settings.format
        try settings.engine.apply()
        let trained = try loadModel(modelPath)
        let memoryModel = try settings.memory
            ? MemoryWeightingsDump.check(trained.model, format: format, out: out, layer: settings.layer, head: settings.head) : nil
        guard trained.model.hasAttention || memoryModel != nil else {
            throw CommandError.failure("this model has no attention (--attention none), so it has no alignment to dump")
        }
        let selections = memoryModel != nil ? [] : try AttentionSelection.parse(layer: settings.layer, head: settings.head, model: trained.model)
        if settings.subwords && trained.subwords == nil { throw CommandError.usage("--subwords is for models trained on subwords (train --bpe)") }
        // With subwords, every token below is a piece; words come back in `AttentionMatrix.joiningSubwords`.
        var sources = try readLines(sourcePath).map(ParallelCorpus.tokenize)
        if let subwords = trained.subwords { sources = subwords.segmentSources(sources) }
        if let problem = trained.model.lengthProblem(sources, file: sourcePath) { throw CommandError.failure(problem) }
        var targets: [[String]]
        if let targetPath = settings.target {
            targets = try readLines(targetPath).map(ParallelCorpus.tokenize)
            guard targets.count == sources.count else {
                throw CommandError.failure("\(sourcePath) has \(sources.count) lines but \(targetPath) has \(targets.count)")
            }
            if let subwords = trained.subwords { targets = subwords.segmentTargets(targets) }
            if let problem = trained.model.lengthProblem(targets, file: targetPath) { throw CommandError.failure(problem) }
        } else {
            let decoded = GreedySearch.decode(trained.model, sources: sources.map(trained.sourceVocabulary.encode),
                                              maximumLength: { trained.model.translationLengthLimit(sourceLength: $0) })
            targets = decoded.map { BPECodes.closingLastPiece(trained.targetVocabulary.decode($0.tokens)) }
        }
        let joinsPieces = trained.subwords != nil && !settings.subwords
        do {
            if let memoryModel {
                let suffixes = try MemoryWeightingsDump.write(memoryModel, sources: sources, targets: targets,
                                                              encode: (trained.sourceVocabulary.encode, trained.targetVocabulary.encode),
                                                              format: format, out: out)
                standardError("attend: wrote the memory weightings of \(sources.count) sentences (\(format.rawValue), "
                              + "\(suffixes.joined(separator: ", "))) to \(out)")
                return
            }
            let outputs = try selections.map { try AlignmentOutput(format: format, path: out, suffix: $0.suffix(among: selections)) }
            let batchSize = 64
            for start in stride(from: 0, to: sources.count, by: batchSize) {
                let range = start..<min(start + batchSize, sources.count)
                let batch = Batch(sources: range.map { trained.sourceVocabulary.encode(sources[$0]) },
                                  targets: range.map { trained.targetVocabulary.encode(targets[$0]) })
                let chosen = trained.model.forcedAttention(batch, choices: selections.map(\.choice))
                for (output, matrices) in zip(outputs, chosen) {
                    for (i, rows) in zip(range, matrices) {
                        let matrix = try AttentionMatrix(sourceTokens: sources[i] + ["</s>"], targetTokens: targets[i] + ["</s>"], rows: rows)
                        try output.append(joinsPieces ? matrix.joiningSubwords() : matrix)
                    }
                }
            }
            for output in outputs { try output.finish() }
            if out != "-" {
                standardError("attend: wrote \(sources.count) alignments (\(format.rawValue)\(selections.count > 1 ? ", \(selections.count) layer/head choices" : "")) to \(out)")
            }
        } catch let error as CommandError { throw error } catch { throw CommandError.failure("\(error)") }
    }
}

/// Which attention `align` writes: a layer's or the mean over layers (by default the model's
/// `defaultAttention`), one head's or averaged over heads, as many as the model says it has.
struct AttentionSelection {
    var choice: AttentionChoice
    /// Whether the layer and head were named, and so go into the file names.
    var named: Bool

    /// The selections `--layer` and `--head` name (1-based on the command line, or `all`).
    static func parse(layer: String?, head: String?, model: any Seq2SeqModel) throws -> [AttentionSelection] {
        let (layers, heads) = (model.attentionLayers, model.attentionHeads)
        if layers == 1 && heads == 1 {
            if layer != nil || head != nil {
                throw CommandError.usage("--layer and --head are for Transformer models, convolutional models and others with several attention layers or heads; this model has one attention")
            }
            return [AttentionSelection(choice: AttentionChoice(layer: 0), named: false)]
        }
        func pick(_ text: String?, _ name: String, count: Int) throws -> [Int]? {
            guard let text else { return nil }
            if text == "all" { return Array(0..<count) }
            guard let n = Int(text), (1...count).contains(n) else { throw CommandError.usage("--\(name) must be 1 … \(count) or all, not '\(text)'") }
            return [n - 1]
        }
        let chosenLayers: [Int?] = try pick(layer, "layer", count: layers) ?? [model.defaultAttention.layer]
        let chosenHeads: [Int?] = try pick(head, "head", count: heads) ?? [nil]
        return chosenLayers.flatMap { l in chosenHeads.map { AttentionSelection(choice: AttentionChoice(layer: l, head: $0), named: true) } }
    }

    /// The file-name suffix: empty for the default, else `layerL`, `layerL.headH` (1-based) or,
    /// for the mean over layers, `headH`.
    func suffix(among all: [AttentionSelection]) -> String {
        guard named, all.count > 1 || choice.head != nil else { return "" }
        return [choice.layer.map { "layer\($0 + 1)" }, choice.head.map { "head\($0 + 1)" }].compactMap { $0 }.joined(separator: ".")
    }
}
