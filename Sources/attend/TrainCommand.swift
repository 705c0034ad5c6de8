import Autograd
import Foundation
import Seq2Seq

/// `attend train`: learns a model from a parallel corpus, validating as it goes.
enum TrainCommand: Subcommand {
    static let name = "train"
    static let summary = "train an RNN or Transformer encoder-decoder (default: biGRU + Bahdanau on Data/reverse)"
    static let usage = """
    usage: attend train [--data DIR] [options]
           attend train --resume RUN_FOLDER [--epochs N] [--max-steps N] [--time-limit S]

    data (default: --data \(TrainSettings.defaultCorpus)):
      --data DIR                folder with train.src, train.tgt, dev.src, dev.tgt
      --src-ext EXT --tgt-ext EXT   other suffixes, e.g. --src-ext en --tgt-ext fr
      --train-src F --train-tgt F --dev-src F --dev-tgt F   explicit files
      --train-tsv F --dev-tsv F    src<TAB>tgt files
      --min-freq N (1)          --max-vocab N      vocabulary from the training data
    model (RNN):
      --arch rnn|gru|lstm|transformer (gru)
      --attention none|bahdanau|luong-dot|luong-general|luong-concat|local-m|local-p (bahdanau)
      --window D (10)           local-m, local-p: attend to source positions within D of p_t
      --layers N (1)  --embed-dim N (64)  --hidden-dim N (128)  --encoder-hidden-dim N (hidden/2 per direction)
      --dropout P (0)  --unidirectional  --no-input-feeding (Luong)
    model (--arch transformer; its defaults: --lr 0.0005 --warmup 1000 --label-smoothing 0.1 --adam-beta2 0.98):
      --layers N (2)  --heads N (4)  --model-dim N (64)  --ff-dim N (4 × model-dim)  --dropout P (0.1)
      --layer-norm pre|post (post)  --activation relu|gelu (relu)  --positions sinusoidal|learned (sinusoidal)
      --max-positions N (512)  --tie-embeddings
    training:
      --epochs N (20)  --max-steps N  --time-limit SECONDS  --batch-size N (64)
      --lr RATE (0.001, Adam)  --adam-beta2 B (0.999)  --warmup N (Noam: linear rise to --lr over N steps, then 1/√step; 0 = off)
      --clip NORM (5; 0 = off)  --label-smoothing E (0)
      --valid-every N  --patience N  --best-metric loss|bleu|exact (exact)  --seed N (1)
      --out FOLDER (runs/CORPUS-ARCH-ATTENTION)  --resume FOLDER
    """

    static func run(_ arguments: inout Arguments) throws {
        let resumeFolder = try arguments.string("resume")
        var settings = TrainSettings()
        var resume: Checkpoint?
        let folder: URL
        if let resumeFolder {
            folder = URL(fileURLWithPath: resumeFolder)
            settings = try loadSettings(folder)
            // Only how long to train may change on resume.
            settings.epochs = try arguments.int("epochs") ?? settings.epochs
            settings.maximumSteps = try arguments.int("max-steps") ?? settings.maximumSteps
            settings.timeLimit = try arguments.double("time-limit") ?? settings.timeLimit
            try arguments.finish()
            let last = folder.appendingPathComponent(Checkpoint.lastFileName)
            do { resume = try Checkpoint.load(from: last) } catch { throw CommandError.failure("\(error)") }
        } else {
            let out = try arguments.string("out")
            try settings.read(&arguments)
            try arguments.finish()
            folder = try runFolder(explicit: out, settings: settings)
        }

        let (train, dev) = try settings.loadCorpora()
        let sourceVocabulary: Vocabulary, targetVocabulary: Vocabulary
        if let resume, let s = Vocabulary(tokens: resume.sourceVocabulary), let t = Vocabulary(tokens: resume.targetVocabulary) {
            (sourceVocabulary, targetVocabulary) = (s, t)
        } else {
            sourceVocabulary = Vocabulary(sentences: train.sources, minimumCount: settings.minFrequency, maximumSize: settings.maximumVocabulary)
            targetVocabulary = Vocabulary(sentences: train.targets, minimumCount: settings.minFrequency, maximumSize: settings.maximumVocabulary)
        }
        settings.setVocabularySizes(source: sourceVocabulary.count, target: targetVocabulary.count)
        func encode(_ corpus: ParallelCorpus) -> [(source: [Int], target: [Int])] {
            zip(corpus.sources, corpus.targets).map { (sourceVocabulary.encode($0), targetVocabulary.encode($1)) }
        }
        var generator = SeededGenerator(seed: settings.seed)
        let model = settings.storedConfiguration.makeModel(generator: &generator)
        try saveSettings(settings, folder)
        let trainer: Trainer
        do {
            trainer = try Trainer(model: model, sourceVocabulary: sourceVocabulary, targetVocabulary: targetVocabulary,
                                  train: encode(train), dev: encode(dev), options: settings.trainingOptions,
                                  runFolder: folder, resume: resume)
        } catch let error as CommandError { throw error } catch { throw CommandError.failure("\(error)") }

        let name = settings.modelName
        let window = settings.transformer == nil && settings.model.attention.isLocal ? " (window \(settings.model.window))" : ""
        standardError("attend: \(name.arch)\(name.attention.map { " + \($0)" } ?? "")\(window), \(model.parameterCount) parameters; "
            + "\(train.count) training pairs, \(dev.count) dev pairs; vocabularies \(sourceVocabulary.count) / \(targetVocabulary.count)")
        if let resume { standardError("attend: resuming \(folder.path) at step \(resume.trainingState.step), epoch \(resume.trainingState.epoch + 1)") }
        do {
            try trainer.run(report: ProgressPrinter(epochs: settings.epochs).report)
        } catch { throw CommandError.failure("\(error)") }
        let best = folder.appendingPathComponent(Checkpoint.bestFileName).path
        standardError("""
        attend: best checkpoint: \(best)
          translate: echo "\(dev.sources.first?.joined(separator: " ") ?? "a sentence")" | attend translate --model \(best)
          align:     attend align --model \(best) --src \(settings.devSource) --tgt \(settings.devTarget) --out \(folder.path)/alignments
        """)
    }

    /// `--out`, which must not hold another run, or a fresh `runs/CORPUS-ARCH-ATTENTION[-N]`.
    private static func runFolder(explicit: String?, settings: TrainSettings) throws -> URL {
        let manager = FileManager.default
        if let explicit {
            if manager.fileExists(atPath: (explicit as NSString).appendingPathComponent(Checkpoint.lastFileName)) {
                throw CommandError.failure("\(explicit) already holds a run: continue it with --resume \(explicit), or choose another --out")
            }
            return URL(fileURLWithPath: explicit)
        }
        let corpus = (((settings.trainSource as NSString).deletingLastPathComponent) as NSString).lastPathComponent
        let name = settings.modelName
        let base = "runs/\(corpus.isEmpty ? "run" : corpus)-\(name.arch)\(name.attention.map { "-\($0)" } ?? "")"
        var candidate = base, number = 1
        while manager.fileExists(atPath: candidate) {
            number += 1
            candidate = "\(base)-\(number)"
        }
        return URL(fileURLWithPath: candidate)
    }

    private static func saveSettings(_ settings: TrainSettings, _ folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try encoder.encode(settings).write(to: folder.appendingPathComponent("run.json"), options: .atomic)
        } catch { throw CommandError.failure("cannot write \(folder.path)/run.json: \(error.localizedDescription)") }
    }

    private static func loadSettings(_ folder: URL) throws -> TrainSettings {
        let url = folder.appendingPathComponent("run.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CommandError.failure("\(folder.path) is not a run folder (no run.json)")
        }
        do { return try JSONDecoder().decode(TrainSettings.self, from: data) } catch {
            throw CommandError.failure("\(url.path) is damaged: \(error.localizedDescription)")
        }
    }
}
