import Foundation
import Seq2Seq

/// Which corpora `attend train` reads, as its options name them.
struct DataOptions {
    var folder: String?
    var sourceExtension = "src"
    var targetExtension = "tgt"
    var trainSource: String?, trainTarget: String?, devSource: String?, devTarget: String?
    var trainTSV: String?, devTSV: String?
    var minFrequency = 1
    var maximumVocabulary: Int?
    var probeSource: String?, probeTarget: String?

    /// The defaults train a bidirectional GRU with Bahdanau attention that solves the shipped
    /// reverse task in a few minutes on two cores.
    static let defaultCorpus = "Data/reverse"

    static let options: [Option<DataOptions>] = [
        .text("data", \.folder, valueName: "DIR", unset: defaultCorpus, help: "folder with train.src, train.tgt, dev.src, dev.tgt"),
        .text("src-ext", \.sourceExtension, valueName: "EXT", help: "another source suffix, e.g. --src-ext en"),
        .text("tgt-ext", \.targetExtension, valueName: "EXT", help: "another target suffix, e.g. --tgt-ext fr"),
        .text("train-src", \.trainSource, valueName: "FILE", help: "explicit files: with --train-tgt, --dev-src and --dev-tgt"),
        .text("train-tgt", \.trainTarget, valueName: "FILE", help: "the training targets"),
        .text("dev-src", \.devSource, valueName: "FILE", help: "the dev sources"),
        .text("dev-tgt", \.devTarget, valueName: "FILE", help: "the dev targets"),
        .text("train-tsv", \.trainTSV, valueName: "FILE", help: "source<TAB>target training pairs, with --dev-tsv"),
        .text("dev-tsv", \.devTSV, valueName: "FILE", help: "source<TAB>target dev pairs"),
        .integer("min-freq", \.minFrequency, help: "leave out tokens seen fewer times in the training data"),
        .integer("max-vocab", \.maximumVocabulary, unset: "none", help: "at most N tokens per vocabulary, <pad> <unk> <s> </s> included"),
        .text("probe-src", \.probeSource, valueName: "FILE", unset: "the first dev pairs", help: "probe sentences for attend report, with --probe-tgt"),
        .text("probe-tgt", \.probeTarget, valueName: "FILE", help: "the probes' targets"),
    ]

    /// The files these options name.
    func resolved() throws -> DataSettings {
        var data = DataSettings(minFrequency: minFrequency, maximumVocabulary: maximumVocabulary)
        guard (probeSource == nil) == (probeTarget == nil) else { throw CommandError.usage("--probe-src and --probe-tgt go together") }
        (data.probeSource, data.probeTarget) = (probeSource, probeTarget)
        if let train = trainTSV {
            guard let dev = devTSV else { throw CommandError.usage("--train-tsv needs --dev-tsv") }
            (data.trainSource, data.trainTarget, data.devSource, data.devTarget) = (train, "", dev, "")
        } else if let trainSource {
            guard let trainTarget, let devSource, let devTarget else {
                throw CommandError.usage("--train-src needs --train-tgt, --dev-src and --dev-tgt")
            }
            (data.trainSource, data.trainTarget, data.devSource, data.devTarget) = (trainSource, trainTarget, devSource, devTarget)
        } else {
            let folder = folder ?? Self.defaultCorpus
            func path(_ split: String, _ ext: String) -> String { (folder as NSString).appendingPathComponent("\(split).\(ext)") }
            data.corpusFolder = folder
            (data.trainSource, data.trainTarget) = (path("train", sourceExtension), path("train", targetExtension))
            (data.devSource, data.devTarget) = (path("dev", sourceExtension), path("dev", targetExtension))
        }
        return data
    }
}

/// The corpora of a run, saved in `run.json`: explicit files, or for TSV corpora the
/// `source<TAB>target` files in `trainSource` and `devSource` with empty targets.
struct DataSettings: Codable {
    var trainSource = "", trainTarget = "", devSource = "", devTarget = ""
    var minFrequency = 1
    var maximumVocabulary: Int?
    /// The `--data` folder, checked when the corpora are loaded.
    var corpusFolder: String?
    /// Probe pairs for `attend report` (by default the first dev pairs).
    var probeSource: String?, probeTarget: String?

    /// The corpora the settings name.
    func loadCorpora() throws -> (train: ParallelCorpus, dev: ParallelCorpus) {
        if let folder = corpusFolder {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw CommandError.failure("no corpus folder at \(folder)"
                    + (folder == DataOptions.defaultCorpus ? " (run attend from the project folder, or pass --data DIR)" : ""))
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
