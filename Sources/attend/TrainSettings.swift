import Foundation
import Seq2Seq

/// Everything `attend train` was asked to do, saved as `run.json` in the run folder so that
/// `--resume` continues with the same data, model and schedule.
struct TrainSettings: Codable {
    var trainSource = "", trainTarget = "", devSource = "", devTarget = ""
    var minFrequency = 1
    var maximumVocabulary: Int?
    var model = RNNConfiguration()
    var epochs = 10
    var maximumSteps: Int?
    var timeLimit: Double?
    var batchSize = 64
    var learningRate: Float = 1e-3
    var clipNorm: Float? = 5
    var validateEvery: Int?
    var patience: Int?
    var bestMetric = "exact"
    var labelSmoothing: Float = 0
    var seed: UInt64 = 1
    /// The `--data` folder, checked when the corpora are loaded.
    var corpusFolder: String?

    /// The defaults train a bidirectional GRU with Bahdanau attention that solves the shipped
    /// reverse task in a few minutes on two cores.
    static let defaultCorpus = "Data/reverse"

    var trainingOptions: TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.maximumSteps = maximumSteps
        options.timeLimit = timeLimit
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.clipNorm = clipNorm
        options.validateEvery = validateEvery
        options.patience = patience
        options.bestMetric = ValidationMetric(rawValue: bestMetric) ?? .exact
        options.labelSmoothing = labelSmoothing
        options.seed = seed
        return options
    }

    /// Reads the data and model options; `arguments` keeps what it does not know.
    mutating func read(_ arguments: inout Arguments) throws {
        try readData(&arguments)
        if let arch = try arguments.string("arch") {
            if arch == "transformer" { throw CommandError.failure("--arch transformer is not available yet (it has its own issue); use rnn, gru or lstm") }
            guard let cell = CellKind(rawValue: arch) else { throw CommandError.usage("--arch must be rnn, gru or lstm, not '\(arch)'") }
            model.cell = cell
        }
        if let name = try arguments.string("attention") {
            guard let attention = AttentionKind(rawValue: name) else {
                throw CommandError.usage("--attention must be one of \(AttentionKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'")
            }
            model.attention = attention
        }
        if let window = try arguments.int("window") {
            // Refused rather than ignored, so nobody believes a global attention was windowed.
            guard model.attention.isLocal else { throw CommandError.usage("--window applies to local-m and local-p") }
            model.window = window
        }
        model.layers = try arguments.int("layers") ?? model.layers
        model.embeddingWidth = try arguments.int("embed-dim") ?? model.embeddingWidth
        model.hiddenWidth = try arguments.int("hidden-dim") ?? model.hiddenWidth
        model.encoderWidth = try arguments.int("encoder-hidden-dim") ?? model.encoderWidth
        model.dropout = try arguments.double("dropout").map(Float.init) ?? model.dropout
        if arguments.flag("unidirectional") { model.bidirectional = false }
        if arguments.flag("no-input-feeding") { model.inputFeeding = false }
        if arguments.flag("input-feeding") { model.inputFeeding = true }
        epochs = try arguments.int("epochs") ?? epochs
        maximumSteps = try arguments.int("max-steps") ?? maximumSteps
        timeLimit = try arguments.double("time-limit") ?? timeLimit
        batchSize = try arguments.int("batch-size") ?? batchSize
        learningRate = try arguments.double("lr").map(Float.init) ?? learningRate
        if let clip = try arguments.double("clip") { clipNorm = clip > 0 ? Float(clip) : nil }
        validateEvery = try arguments.int("valid-every") ?? validateEvery
        patience = try arguments.int("patience") ?? patience
        if let metric = try arguments.string("best-metric") {
            guard ValidationMetric(rawValue: metric) != nil else { throw CommandError.usage("--best-metric must be loss, bleu or exact") }
            bestMetric = metric
        }
        labelSmoothing = try arguments.double("label-smoothing").map(Float.init) ?? labelSmoothing
        if let seed = try arguments.int("seed") {
            guard seed >= 0 else { throw CommandError.usage("--seed must not be negative") }
            self.seed = UInt64(seed)
        }
        try validate()
    }

    private mutating func readData(_ arguments: inout Arguments) throws {
        let folder = try arguments.string("data")
        let sourceExtension = try arguments.string("src-ext") ?? "src"
        let targetExtension = try arguments.string("tgt-ext") ?? "tgt"
        let explicit = (try arguments.string("train-src"), try arguments.string("train-tgt"),
                        try arguments.string("dev-src"), try arguments.string("dev-tgt"))
        let tsv = (try arguments.string("train-tsv"), try arguments.string("dev-tsv"))
        minFrequency = try arguments.int("min-freq") ?? minFrequency
        maximumVocabulary = try arguments.int("max-vocab") ?? maximumVocabulary
        if let train = tsv.0 {
            guard let dev = tsv.1 else { throw CommandError.usage("--train-tsv needs --dev-tsv") }
            (trainSource, trainTarget, devSource, devTarget) = (train, "", dev, "")
        } else if let trainSource = explicit.0 {
            guard let trainTarget = explicit.1, let devSource = explicit.2, let devTarget = explicit.3 else {
                throw CommandError.usage("--train-src needs --train-tgt, --dev-src and --dev-tgt")
            }
            (self.trainSource, self.trainTarget, self.devSource, self.devTarget) = (trainSource, trainTarget, devSource, devTarget)
        } else {
            let folder = folder ?? Self.defaultCorpus
            func path(_ split: String, _ ext: String) -> String { (folder as NSString).appendingPathComponent("\(split).\(ext)") }
            corpusFolder = folder
            (trainSource, trainTarget) = (path("train", sourceExtension), path("train", targetExtension))
            (devSource, devTarget) = (path("dev", sourceExtension), path("dev", targetExtension))
        }
    }

    func validate() throws {
        if let problem = model.problem() { throw CommandError.usage(problem) }
        if epochs < 1 { throw CommandError.usage("--epochs must be at least 1") }
        if batchSize < 1 { throw CommandError.usage("--batch-size must be at least 1") }
        if !(learningRate > 0) { throw CommandError.usage("--lr must be positive") }
        if let steps = maximumSteps, steps < 1 { throw CommandError.usage("--max-steps must be at least 1") }
        if let every = validateEvery, every < 1 { throw CommandError.usage("--valid-every must be at least 1") }
        if !(0..<1).contains(labelSmoothing) { throw CommandError.usage("--label-smoothing must be in [0, 1)") }
    }

    /// The corpora the settings name.
    func loadCorpora() throws -> (train: ParallelCorpus, dev: ParallelCorpus) {
        if let folder = corpusFolder {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw CommandError.failure("no corpus folder at \(folder)" + (folder == Self.defaultCorpus ? " (run attend from the project folder, or pass --data DIR)" : ""))
            }
        }
        do {
            if trainTarget.isEmpty {
                return (try ParallelCorpus.load(tsvPath: trainSource), try ParallelCorpus.load(tsvPath: devSource))
            }
            return (try ParallelCorpus.load(sourcePath: trainSource, targetPath: trainTarget),
                    try ParallelCorpus.load(sourcePath: devSource, targetPath: devTarget))
        } catch {
            throw CommandError.failure("\(error)")
        }
    }
}
