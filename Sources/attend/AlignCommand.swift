import Foundation
import Seq2Seq

/// `attend align`: the attention matrix of every sentence pair, as CSV, Pharaoh links or SVG.
enum AlignCommand: Subcommand {
    static let name = "align"
    static let summary = "dump attention alignments (csv, long, pharaoh, svg)"
    static let usage = """
    usage: attend align --model CHECKPOINT --src FILE [--tgt FILE] [--format csv|long|pharaoh|svg] --out PATH
                        [--layer L|all] [--head H|all]

      --src FILE        source sentences
      --tgt FILE        target sentences to force-decode; without it, the model's own greedy translations
      --format F (csv)  csv: PATH/000001.csv … (target × source matrix, </s> included, rows sum to 1)
                        long: one CSV at PATH (sentence,target_index,target_token,source_index,source_token,weight)
                        pharaoh: one line of i-j links per sentence at PATH (each target word to its strongest source word)
                        svg: PATH/000001.svg … heatmaps for a browser
      --out PATH        a folder (csv, svg) or a file (long, pharaoh; - for stdout)
      --layer L|all     Transformer: which decoder layer's cross-attention, 1 … L (default: the last)
      --head H|all      Transformer: which head, 1 … h (default: the average over heads)
                        Several layers or heads put their names in the files: 000001.layer2.head3.csv, align.layer1.txt
    """

    static func run(_ arguments: inout Arguments) throws {
        guard let modelPath = try arguments.string("model") else { throw CommandError.usage("--model is required") }
        guard let sourcePath = try arguments.string("src") else { throw CommandError.usage("--src is required") }
        guard let out = try arguments.string("out") else { throw CommandError.usage("--out is required") }
        let targetPath = try arguments.string("tgt")
        let formatName = try arguments.string("format") ?? AlignmentFormat.defaultFormat.rawValue
        let layerName = try arguments.string("layer"), headName = try arguments.string("head")
        try arguments.finish()
        guard let format = AlignmentFormat(rawValue: formatName) else {
            throw CommandError.usage("--format must be csv, long, pharaoh or svg, not '\(formatName)'")
        }
        let trained = try loadModel(modelPath)
        guard trained.model.hasAttention else {
            throw CommandError.failure("this model has no attention (--attention none), so it has no alignment to dump")
        }
        let selections = try AttentionSelection.parse(layer: layerName, head: headName, model: trained.model)
        let sources = try readLines(sourcePath).map(ParallelCorpus.tokenize)
        let targets: [[String]]
        if let targetPath {
            targets = try readLines(targetPath).map(ParallelCorpus.tokenize)
            guard targets.count == sources.count else {
                throw CommandError.failure("\(sourcePath) has \(sources.count) lines but \(targetPath) has \(targets.count)")
            }
        } else {
            let decoded = GreedySearch.decode(trained.model, sources: sources.map(trained.sourceVocabulary.encode),
                                              maximumLength: { 2 * $0 + 10 })
            targets = decoded.map { trained.targetVocabulary.decode($0.tokens) }
        }
        do {
            let outputs = try selections.map { try AlignmentOutput(format: format, path: out, suffix: $0.suffix(among: selections)) }
            let batchSize = 64
            for start in stride(from: 0, to: sources.count, by: batchSize) {
                let range = start..<min(start + batchSize, sources.count)
                let batch = Batch(sources: range.map { trained.sourceVocabulary.encode(sources[$0]) },
                                  targets: range.map { trained.targetVocabulary.encode(targets[$0]) })
                for (output, matrices) in zip(outputs, AttentionSelection.matrices(selections, of: trained.model, batch)) {
                    for (i, rows) in zip(range, matrices) {
                        try output.append(AttentionMatrix(sourceTokens: sources[i] + ["</s>"], targetTokens: targets[i] + ["</s>"], rows: rows))
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

/// Which attention `align` writes: for a Transformer, a decoder layer's cross-attention, one
/// head's or averaged over heads; for an RNN, its only attention.
struct AttentionSelection {
    /// 0-based; `nil` for an RNN.
    var layer: Int?
    /// 0-based; `nil` for the mean over heads.
    var head: Int?

    /// The selections `--layer` and `--head` name (1-based on the command line, or `all`).
    static func parse(layer: String?, head: String?, model: any Seq2SeqModel) throws -> [AttentionSelection] {
        guard let transformer = model as? Transformer else {
            if layer != nil || head != nil { throw CommandError.usage("--layer and --head are for Transformer models; an RNN has one attention") }
            return [AttentionSelection()]
        }
        let c = transformer.configuration
        func pick(_ text: String?, _ name: String, count: Int) throws -> [Int]? {
            guard let text else { return nil }
            if text == "all" { return Array(0..<count) }
            guard let n = Int(text), (1...count).contains(n) else { throw CommandError.usage("--\(name) must be 1 … \(count) or all, not '\(text)'") }
            return [n - 1]
        }
        let layers = try pick(layer, "layer", count: c.layers) ?? [c.layers - 1]
        let heads: [Int?] = try pick(head, "head", count: c.heads) ?? [nil]
        return layers.flatMap { l in heads.map { AttentionSelection(layer: l, head: $0) } }
    }

    /// The file-name suffix: empty for the default, else `layerL` or `layerL.headH` (1-based).
    func suffix(among all: [AttentionSelection]) -> String {
        guard let layer, all.count > 1 || head != nil else { return "" }
        return "layer\(layer + 1)" + (head.map { ".head\($0 + 1)" } ?? "")
    }

    /// Per selection, per pair `[T + 1][S + 1]`.
    static func matrices(_ selections: [AttentionSelection], of model: any Seq2SeqModel, _ batch: Batch) -> [[[[Float]]]] {
        guard let transformer = model as? Transformer else { return [model.forcedAttention(batch)] }
        let weights = transformer.crossAttention(batch)
        return selections.map { Transformer.attentionRows(weights[$0.layer!], batch: batch, head: $0.head) }
    }
}
