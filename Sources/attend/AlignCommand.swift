import Foundation
import Seq2Seq

/// `attend align`: the attention matrix of every sentence pair, as CSV, Pharaoh links or SVG.
enum AlignCommand: Subcommand {
    static let name = "align"
    static let summary = "dump attention alignments (csv, long, pharaoh, svg)"
    static let usage = """
    usage: attend align --model CHECKPOINT --src FILE [--tgt FILE] [--format csv|long|pharaoh|svg] --out PATH

      --src FILE        source sentences
      --tgt FILE        target sentences to force-decode; without it, the model's own greedy translations
      --format F (csv)  csv: PATH/000001.csv … (target × source matrix, </s> included, rows sum to 1)
                        long: one CSV at PATH (sentence,target_index,target_token,source_index,source_token,weight)
                        pharaoh: one line of i-j links per sentence at PATH (each target word to its strongest source word)
                        svg: PATH/000001.svg … heatmaps for a browser
      --out PATH        a folder (csv, svg) or a file (long, pharaoh; - for stdout)
    """

    static func run(_ arguments: inout Arguments) throws {
        guard let modelPath = try arguments.string("model") else { throw CommandError.usage("--model is required") }
        guard let sourcePath = try arguments.string("src") else { throw CommandError.usage("--src is required") }
        guard let out = try arguments.string("out") else { throw CommandError.usage("--out is required") }
        let targetPath = try arguments.string("tgt")
        let formatName = try arguments.string("format") ?? AlignmentFormat.defaultFormat.rawValue
        try arguments.finish()
        guard let format = AlignmentFormat(rawValue: formatName) else {
            throw CommandError.usage("--format must be csv, long, pharaoh or svg, not '\(formatName)'")
        }
        let trained = try loadModel(modelPath)
        guard trained.model.hasAttention else {
            throw CommandError.failure("this model has no attention (--attention none), so it has no alignment to dump")
        }
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
            let output = try AlignmentOutput(format: format, path: out)
            let batch = 64
            for start in stride(from: 0, to: sources.count, by: batch) {
                let range = start..<min(start + batch, sources.count)
                let matrices = ForcedDecoding.attention(trained.model, sources: range.map { trained.sourceVocabulary.encode(sources[$0]) },
                                                        targets: range.map { trained.targetVocabulary.encode(targets[$0]) })
                for (i, rows) in zip(range, matrices) {
                    try output.append(AttentionMatrix(sourceTokens: sources[i] + ["</s>"], targetTokens: targets[i] + ["</s>"], rows: rows))
                }
            }
            try output.finish()
            if out != "-" { standardError("attend: wrote \(sources.count) alignments (\(format.rawValue)) to \(out)") }
        } catch let error as CommandError { throw error } catch { throw CommandError.failure("\(error)") }
    }
}
