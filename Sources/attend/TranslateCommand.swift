import Foundation
import Seq2Seq

/// `attend translate`: a Unix filter from source sentences to translations.
enum TranslateCommand: Subcommand {
    static let name = "translate"
    static let summary = "translate sentences from stdin (or --input) to stdout"
    static var usage: String {
        """
        usage: attend translate --model CHECKPOINT [--input FILE] [--beam K] [--alpha A] [--n-best N]
                                [--max-len-ratio R] [--batch-size N]

        \(OptionHelp.lines(Settings.options, defaults: Settings()))
        """
    }

    struct Settings {
        var checkpoint = CheckpointSetting()
        var input: String?
        var beam = 1
        var alpha = 0.6
        var bestCount = 1
        var lengthRatio = 2.0
        var batchSize = 64
        var engine = EngineSettings()

        static let options: [Option<Settings>] = CheckpointSetting.options.map { $0.lifted(\.checkpoint) } + [
            .text("input", \.input, valueName: "FILE", help: "read source sentences from FILE instead of stdin"),
            .integer("beam", \.beam, valueName: "K", help: "beam width; 1 is greedy decoding"),
            .number("alpha", \.alpha, valueName: "A", help: "GNMT length penalty ((5 + |Y|) / 6)^A for beam search"),
            .integer("n-best", \.bestCount, help: "print the N best translations of each sentence, tab-separated with their scores"),
            .number("max-len-ratio", \.lengthRatio, valueName: "R", help: "stop at R × source length + 10 tokens"),
            .integer("batch-size", \.batchSize, help: "sentences decoded together"),
        ] + EngineSettings.options.map { $0.lifted(\.engine) }
    }

    static func run(_ arguments: inout Arguments) throws {
        var settings = Settings()
        try arguments.read(Settings.options, into: &settings)
        try arguments.finish()
        let modelPath = try settings.checkpoint.required()
        let (beam, nBest, ratio, batchSize) = (settings.beam, settings.bestCount, settings.lengthRatio, settings.batchSize)
        guard beam >= 1, nBest >= 1, nBest <= beam, ratio > 0, batchSize >= 1 else {
            throw CommandError.usage("--beam and --batch-size must be ≥ 1, --n-best between 1 and --beam, --max-len-ratio positive")
        }
        try settings.engine.apply()
        let trained = try loadModel(modelPath)
        let lines = try readLines(settings.input)
        // With subwords the model reads pieces, and the length limits count pieces.
        var tokenized = lines.map(ParallelCorpus.tokenize)
        if let subwords = trained.subwords { tokenized = subwords.segmentSources(tokenized) }
        if let problem = trained.model.lengthProblem(tokenized, file: settings.input ?? "standard input") {
            throw CommandError.failure(problem)
        }
        let limit = { trained.model.translationLengthLimit(sourceLength: $0, ratio: ratio) }
        let sources = tokenized.map(trained.sourceVocabulary.encode)
        var output = ""
        let search = BeamSearch(beamSize: beam, lengthPenalty: settings.alpha, bestCount: nBest)
        for start in stride(from: 0, to: sources.count, by: batchSize) {
            let chunk = Array(sources[start..<min(start + batchSize, sources.count)])
            if beam == 1 && nBest == 1 {
                for hypothesis in GreedySearch.decode(trained.model, sources: chunk, maximumLength: limit) {
                    output += trained.decodeTarget(hypothesis.tokens).joined(separator: " ") + "\n"
                }
            } else {
                for hypotheses in search.decode(trained.model, sources: chunk, maximumLength: limit) {
                    let texts = hypotheses.map { trained.decodeTarget($0.tokens).joined(separator: " ") }
                    if nBest == 1 {
                        output += (texts.first ?? "") + "\n"
                    } else {
                        output += zip(texts, hypotheses).map { "\($0)\t" + String(format: "%.4f", search.normalized($1)) }.joined(separator: "\t") + "\n"
                    }
                }
            }
            flush(&output)
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
