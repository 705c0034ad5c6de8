import Foundation
import Seq2Seq

/// `attend translate`: a Unix filter from source sentences to translations.
enum TranslateCommand: Subcommand {
    static let name = "translate"
    static let summary = "translate sentences from stdin (or --input) to stdout"
    static let usage = """
    usage: attend translate --model CHECKPOINT [--input FILE] [--beam K] [--alpha A] [--n-best N]
                            [--max-len-ratio R] [--batch-size N]

      --model FILE        a checkpoint written by attend train (best.safetensors)
      --input FILE        read source sentences from FILE instead of stdin
      --beam K (1)        beam width; 1 is greedy decoding
      --alpha A (0.6)     GNMT length penalty ((5 + |Y|) / 6)^A for beam search
      --n-best N (1)      print the N best translations of each sentence, tab-separated with their scores
      --max-len-ratio R (2)  stop at R × source length + 10 tokens
    """

    static func run(_ arguments: inout Arguments) throws {
        guard let modelPath = try arguments.string("model") else { throw CommandError.usage("--model is required") }
        let input = try arguments.string("input")
        let beam = try arguments.int("beam") ?? 1
        let alpha = try arguments.double("alpha") ?? 0.6
        let nBest = try arguments.int("n-best") ?? 1
        let ratio = try arguments.double("max-len-ratio") ?? 2
        let batchSize = try arguments.int("batch-size") ?? 64
        try arguments.finish()
        guard beam >= 1, nBest >= 1, nBest <= beam, ratio > 0, batchSize >= 1 else {
            throw CommandError.usage("--beam and --batch-size must be ≥ 1, --n-best between 1 and --beam, --max-len-ratio positive")
        }
        let trained = try loadModel(modelPath)
        let lines = try readLines(input)
        let limit = { (length: Int) in Int(ratio * Double(length)) + 10 }
        let sources = lines.map { trained.sourceVocabulary.encode(ParallelCorpus.tokenize($0)) }
        var output = ""
        if beam == 1 && nBest == 1 {
            for start in stride(from: 0, to: sources.count, by: batchSize) {
                let chunk = Array(sources[start..<min(start + batchSize, sources.count)])
                for hypothesis in GreedySearch.decode(trained.model, sources: chunk, maximumLength: limit) {
                    output += trained.targetVocabulary.decode(hypothesis.tokens).joined(separator: " ") + "\n"
                }
                flush(&output)
            }
        } else {
            let search = BeamSearch(beamSize: beam, lengthPenalty: alpha, bestCount: nBest)
            for start in stride(from: 0, to: sources.count, by: batchSize) {
                let chunk = Array(sources[start..<min(start + batchSize, sources.count)])
                for hypotheses in search.decode(trained.model, sources: chunk, maximumLength: limit) {
                    let texts = hypotheses.map { trained.targetVocabulary.decode($0.tokens).joined(separator: " ") }
                    if nBest == 1 {
                        output += (texts.first ?? "") + "\n"
                    } else {
                        output += zip(texts, hypotheses).map { "\($0)\t" + String(format: "%.4f", search.normalized($1)) }.joined(separator: "\t") + "\n"
                    }
                }
                flush(&output)
            }
        }
    }

    private static func flush(_ output: inout String) {
        FileHandle.standardOutput.write(Data(output.utf8))
        output = ""
    }
}

/// Loads a checkpoint for inference, turning every failure into one error line.
func loadModel(_ path: String) throws -> TrainedModel {
    do { return try TrainedModel.load(from: path) } catch { throw CommandError.failure("\(error)") }
}

/// The lines of `path`, or of stdin when `path` is `nil` or `-` (split as `TextLines` does).
func readLines(_ path: String?) throws -> [String] {
    if let path, path != "-" {
        do { return try TextLines.read(path: path) } catch { throw CommandError.failure("\(error)") }
    }
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard let text = String(validating: data, as: UTF8.self) else { throw CommandError.failure("standard input is not valid UTF-8") }
    return TextLines.split(text)
}
