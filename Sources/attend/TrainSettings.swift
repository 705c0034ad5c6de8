import Foundation
import Seq2Seq

/// Everything `attend train` was asked to do, saved as `run.json` in the run folder so that
/// `--resume` continues with the same data, model and schedule.
struct TrainSettings: Codable {
    var trainSource = "", trainTarget = "", devSource = "", devTarget = ""
    var minFrequency = 1
    var maximumVocabulary: Int?
    var model = RNNConfiguration()
    /// Set for `--arch transformer`; `model` is then unused.
    var transformer: TransformerConfiguration?
    var epochs = 20
    var maximumSteps: Int?
    var timeLimit: Double?
    var batchSize = 64
    var learningRate: Float = 1e-3
    /// Adam's β₂; `nil` (and runs saved before it existed) means 0.999.
    var adamBeta2: Float?
    var clipNorm: Float? = 5
    /// Noam warm-up steps (`--warmup`); `nil` keeps the learning rate constant.
    var warmup: Int?
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
        options.adamBeta2 = adamBeta2 ?? 0.999
        options.clipNorm = clipNorm
        options.warmupSteps = warmup
        options.validateEvery = validateEvery
        options.patience = patience
        options.bestMetric = ValidationMetric(rawValue: bestMetric) ?? .exact
        options.labelSmoothing = labelSmoothing
        options.seed = seed
        return options
    }

    /// The model configuration a checkpoint records.
    var storedConfiguration: StoredConfiguration { transformer.map { .transformer($0) } ?? .rnn(model) }

    /// `gru + bahdanau`, `transformer`: how progress lines and folder names call the model.
    var modelName: (arch: String, attention: String?) {
        transformer == nil ? (model.cell.rawValue, model.attention.rawValue) : ("transformer", nil)
    }

    mutating func setVocabularySizes(source: Int, target: Int) {
        model.sourceVocabularySize = source
        model.targetVocabularySize = target
        transformer?.sourceVocabularySize = source
        transformer?.targetVocabularySize = target
    }

    /// Reads the data and model options; `arguments` keeps what it does not know.
    mutating func read(_ arguments: inout Arguments) throws {
        try readData(&arguments)
        if let arch = try arguments.string("arch") {
            if arch == "transformer" {
                transformer = TransformerConfiguration()
                (learningRate, warmup, labelSmoothing, adamBeta2) = (5e-4, 1000, 0.1, 0.98)
            } else {
                guard let cell = CellKind(rawValue: arch) else { throw CommandError.usage("--arch must be rnn, gru, lstm or transformer, not '\(arch)'") }
                model.cell = cell
            }
        }
        if transformer != nil { try readTransformer(&arguments) } else { try readRecurrent(&arguments) }
        epochs = try arguments.int("epochs") ?? epochs
        maximumSteps = try arguments.int("max-steps") ?? maximumSteps
        timeLimit = try arguments.double("time-limit") ?? timeLimit
        batchSize = try arguments.int("batch-size") ?? batchSize
        learningRate = try arguments.double("lr").map(Float.init) ?? learningRate
        adamBeta2 = try arguments.double("adam-beta2").map(Float.init) ?? adamBeta2
        if let clip = try arguments.double("clip") { clipNorm = clip > 0 ? Float(clip) : nil }
        if let steps = try arguments.int("warmup") { warmup = steps > 0 ? steps : nil }
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

    private mutating func readTransformer(_ arguments: inout Arguments) throws {
        guard var c = transformer else { return }
        for name in ["attention", "embed-dim", "hidden-dim", "encoder-hidden-dim"] where try arguments.string(name) != nil {
            throw CommandError.usage("--\(name) is for RNN models; a transformer takes --model-dim, --ff-dim, --heads")
        }
        c.layers = try arguments.int("layers") ?? c.layers
        c.heads = try arguments.int("heads") ?? c.heads
        c.modelWidth = try arguments.int("model-dim") ?? c.modelWidth
        c.feedForwardWidth = try arguments.int("ff-dim") ?? 4 * c.modelWidth
        c.dropout = try arguments.double("dropout").map(Float.init) ?? c.dropout
        c.maximumPositions = try arguments.int("max-positions") ?? c.maximumPositions
        c.layerNorm = try choice(&arguments, "layer-norm", default: c.layerNorm)
        c.activation = try choice(&arguments, "activation", default: c.activation)
        c.positions = try choice(&arguments, "positions", default: c.positions)
        if arguments.flag("tie-embeddings") { c.tieEmbeddings = true }
        transformer = c
    }

    /// `--name` as one of `Choice`'s raw values.
    private func choice<Choice: RawRepresentable & CaseIterable>(_ arguments: inout Arguments, _ name: String,
                                                                 default value: Choice) throws -> Choice where Choice.RawValue == String {
        guard let text = try arguments.string(name) else { return value }
        guard let chosen = Choice(rawValue: text) else {
            throw CommandError.usage("--\(name) must be \(Choice.allCases.map(\.rawValue).joined(separator: " or ")), not '\(text)'")
        }
        return chosen
    }

    private mutating func readRecurrent(_ arguments: inout Arguments) throws {
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
        for name in ["heads", "model-dim", "ff-dim", "layer-norm", "activation", "positions", "max-positions"] where try arguments.string(name) != nil {
            throw CommandError.usage("--\(name) is for --arch transformer")
        }
        if arguments.flag("tie-embeddings") { throw CommandError.usage("--tie-embeddings is for --arch transformer") }
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
        if let problem = storedConfiguration.problem() { throw CommandError.usage(problem) }
        if epochs < 1 { throw CommandError.usage("--epochs must be at least 1") }
        if batchSize < 1 { throw CommandError.usage("--batch-size must be at least 1") }
        if !(learningRate > 0) { throw CommandError.usage("--lr must be positive") }
        if let beta = adamBeta2, !(0..<1).contains(beta) { throw CommandError.usage("--adam-beta2 must be in [0, 1)") }
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
