import Autograd
import Foundation
import Seq2Seq

/// `attend train`: learns a model from a parallel corpus, validating as it goes.
enum TrainCommand: Subcommand {
    static let name = "train"
    /// Lists the registered architectures, so that adding one needs no change here.
    static var summary: String {
        "train an encoder-decoder, --arch \(Architecture.variantNames.joined(separator: "|")) (default: biGRU + Bahdanau on Data/reverse)"
    }
    static var usage: String {
        var text = """
        usage: attend train [--data DIR] [options]
               attend train --resume RUN_FOLDER [--epochs N] [--max-steps N] [--time-limit S] [--skip-nonfinite]

        data:
        \(OptionHelp.lines(DataOptions.options, defaults: DataOptions()))
        subwords:
        \(OptionHelp.lines(SubwordSettings.options, defaults: SubwordSettings()))
        model:
        \(OptionHelp.lines(ArchitectureChoice.options, defaults: ArchitectureChoice()))

        """
        for architecture in Architecture.all {
            let defaults = architecture.trainingDefaults.map { "--\($0.name) \($0.value)" }.joined(separator: " ")
            text += "\(architecture.title) (--arch \(architecture.variants.map(\.name).joined(separator: "|"))"
                + (defaults.isEmpty ? "" : "; its defaults: \(defaults)") + "):\n"
                + OptionHelp.lines(architecture.options) + "\n"
        }
        return text + """
        training:
        \(OptionHelp.lines(TrainingOptions.options, defaults: TrainingOptions()))
        run:
        \(OptionHelp.lines(RunFolder.options, defaults: RunFolder()))
        engine:
        \(OptionHelp.lines(EngineSettings.options, defaults: EngineSettings()))
        """
    }

    /// Where the run goes, or which run to continue.
    struct RunFolder {
        var out: String?
        var resume: String?

        static let options: [Option<RunFolder>] = [
            .text("out", \.out, valueName: "FOLDER", unset: "runs/CORPUS-ARCH-ATTENTION", help: "the run folder; an existing run is never overwritten"),
            .text("resume", \.resume, valueName: "FOLDER", help: "continue that run where it stopped; only --epochs, --max-steps, --time-limit, --skip-nonfinite may change"),
        ]
    }

    static func run(_ arguments: inout Arguments) throws {
        var run = RunFolder()
        try arguments.read(RunFolder.options, into: &run)
        var engine = EngineSettings()
        try arguments.read(EngineSettings.options, into: &engine)
        var settings: TrainSettings
        var resume: Checkpoint?
        let folder: URL
        if let resumeFolder = run.resume {
            if run.out != nil { throw CommandError.usage("--resume continues the run in its own folder: leave out --out") }
            folder = URL(fileURLWithPath: resumeFolder)
            try RunLock.checkFree(resumeFolder)
            settings = try loadSettings(folder)
            // Only how long to train may change on resume.
            try arguments.read(TrainingOptions.resumeOptions, into: &settings.training)
            try arguments.finish()
            let last = folder.appendingPathComponent(Checkpoint.lastFileName)
            do { resume = try Checkpoint.load(from: last) } catch { throw CommandError.failure("\(error)") }
        } else {
            settings = try TrainSettings(&arguments)
            try arguments.finish()
            folder = try runFolder(explicit: run.out, settings: settings)
        }
        let runLock = try RunLock(folder)
        let path = try engine.apply()
        var notes = ["attend: precision: \(path.label)", "attend: threads: \(Parallel.threadCount)"]
        if let resume {
            // Checkpoints from before mixed precision record none: they were fp32.
            let earlier = resume.trainingState.matrixPath.flatMap(MatrixPath.init(rawValue:)) ?? .fp32
            if earlier.isBF16 != path.isBF16 {
                notes.append("attend: note: this run trained in \(earlier.label) until step \(resume.trainingState.step); "
                             + "it continues in \(path.label)")
            }
        }

        var (train, dev) = try settings.data.loadCorpora()
        let subwords = try settings.subwords.subwords(train: train, resumed: resume)
        if let subwords {
            // Gold links name words, and the model would read pieces.
            guard settings.training.guidedAlignment == nil else {
                throw CommandError.usage("--guided-alignment reads word links and cannot be combined with --bpe or --bpe-codes")
            }
            (train, dev) = (subwords.segment(train), subwords.segment(dev))
            notes.append("attend: " + SubwordSettings.summary(subwords))
        }
        let sourceVocabulary: Vocabulary, targetVocabulary: Vocabulary
        if let resume, let s = Vocabulary(tokens: resume.sourceVocabulary), let t = Vocabulary(tokens: resume.targetVocabulary) {
            (sourceVocabulary, targetVocabulary) = (s, t)
        } else {
            sourceVocabulary = Vocabulary(sentences: train.sources, minimumCount: settings.data.minFrequency, maximumSize: settings.data.maximumVocabulary)
            targetVocabulary = Vocabulary(sentences: train.targets, minimumCount: settings.data.minFrequency, maximumSize: settings.data.maximumVocabulary)
        }
        settings.setVocabularySizes(source: sourceVocabulary.count, target: targetVocabulary.count)
        func encode(_ corpus: ParallelCorpus) -> [(source: [Int], target: [Int])] {
            zip(corpus.sources, corpus.targets).map { (sourceVocabulary.encode($0), targetVocabulary.encode($1)) }
        }
        var generator = SeededGenerator(seed: settings.training.seed)
        let model = settings.model.makeModel(generator: &generator)
        do { _ = try settings.training.alignmentGuidance(for: model) } catch let error as OptionError { throw CommandError.usage("\(error)") }
        // Gold links are read against the whole training corpus, then follow the pairs kept.
        var trainAlignments: [Set<AlignmentLink>]?
        do { trainAlignments = try settings.training.guidedAlignment.map { try GoldAlignments.load(path: $0, corpus: train) } } catch {
            throw CommandError.failure("\(error)")
        }
        let kept = try TrainingPairs.dropTooLong(train: &train, dev: &dev, model: model, notes: &notes)
        trainAlignments = trainAlignments.map { links in kept.train.map { links[$0] } }
        try saveSettings(settings, folder)
        let trainer: Trainer
        do {
            trainer = try Trainer(model: model, sourceVocabulary: sourceVocabulary, targetVocabulary: targetVocabulary,
                                  train: encode(train), dev: encode(dev), options: settings.training,
                                  runFolder: folder, resume: resume, trainAlignments: trainAlignments)
        } catch let error as CommandError { throw error } catch { throw CommandError.failure("\(error)") }
        trainer.recorder = try TrainingPairs.recorder(settings.data, probes: settings.training.probes, dev: dev, devKept: kept.dev, model: model, subwords: subwords,
                                                      vocabularies: (sourceVocabulary, targetVocabulary), folder: folder)
        let stale = runLock.removeStaleTemporaries(in: folder)
        if stale > 0 { notes.append("attend: removed \(stale) temporary files an interrupted run left in \(folder.path)") }
        trainer.subwords = subwords

        notes.forEach(standardError)  // the first lines, once the data has loaded
        standardError("attend: \(settings.model.summary), \(model.parameterCount) parameters; "
            + "\(train.count) training pairs, \(dev.count) dev pairs; vocabularies \(sourceVocabulary.count) / \(targetVocabulary.count)")
        if let resume { standardError("attend: resuming \(folder.path) at step \(resume.trainingState.step), epoch \(resume.trainingState.epoch + 1)") }
        StopSignals.install()
        trainer.shouldStop = { StopSignals.received != nil }
        do {
            try trainer.run(report: ProgressPrinter(epochs: settings.training.epochs).report)
        } catch { throw CommandError.failure(failureMessage(error, folder: folder)) }
        if let signal = StopSignals.received {
            standardError("attend: stopped by \(StopSignals.name(signal)); continue with: attend train --resume \(folder.relativePath)")
            exit(StopSignals.status(signal))
        }
        let best = folder.appendingPathComponent(Checkpoint.bestFileName).path
        standardError("attend: " + peakMemorySummary())
        standardError("""
        attend: best checkpoint: \(best)
          translate: echo "\(dev.sources.first?.joined(separator: " ") ?? "a sentence")" | attend translate --model \(best)
          align:     attend align --model \(best) --src \(settings.data.devSource) --tgt \(settings.data.devTarget) --out \(folder.path)/alignments
          report:    attend report \(folder.path)
        """)
    }

    /// `--out`, which must not hold another run, or a fresh `runs/CORPUS-ARCH-ATTENTION[-N]`.
    private static func runFolder(explicit: String?, settings: TrainSettings) throws -> URL {
        let manager = FileManager.default
        if let explicit {
            try RunLock.checkFree(explicit)
            if manager.fileExists(atPath: (explicit as NSString).appendingPathComponent(Checkpoint.lastFileName)) {
                throw CommandError.failure("\(explicit) already holds a run: continue it with --resume \(explicit), or choose another --out")
            }
            return URL(fileURLWithPath: explicit)
        }
        let corpus = (((settings.data.trainSource as NSString).deletingLastPathComponent) as NSString).lastPathComponent
        let base = "runs/\(corpus.isEmpty ? "run" : corpus)-\(settings.model.shortName)"
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
