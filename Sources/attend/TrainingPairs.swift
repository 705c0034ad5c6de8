import Foundation
import Seq2Seq

/// What `attend train` does with its corpora once the model exists: it drops the pairs too long
/// for the model's positions, and picks the probes and the gold dev alignments that
/// `attend report` draws.
enum TrainingPairs {
    /// Removes the pairs a side of which does not fit the model (a Transformer's
    /// `--max-positions`), saying how many; returns the indices of the pairs kept in each.
    static func dropTooLong(train: inout ParallelCorpus, dev: inout ParallelCorpus, model: any Seq2SeqModel,
                            notes: inout [String]) throws -> (train: [Int], dev: [Int]) {
        guard let limit = model.maximumSequenceLength else { return (Array(0..<train.count), Array(0..<dev.count)) }
        func drop(_ corpus: inout ParallelCorpus, _ name: String) throws -> [Int] {
            let kept = corpus.sources.indices.filter { model.fits(tokens: corpus.sources[$0].count) && model.fits(tokens: corpus.targets[$0].count) }
            guard kept.count < corpus.count else { return kept }
            guard !kept.isEmpty else {
                throw CommandError.failure("every \(name) pair is longer than the model's \(limit) positions (--max-positions)")
            }
            notes.append("attend: skipped \(corpus.count - kept.count) of \(corpus.count) \(name) pairs "
                         + "longer than \(limit - 1) tokens (--max-positions \(limit), with </s> or <s>)")
            corpus = ParallelCorpus(sources: kept.map { corpus.sources[$0] }, targets: kept.map { corpus.targets[$0] })
            return kept
        }
        return (try drop(&train, "training"), try drop(&dev, "dev"))
    }

    /// The recorder of the probes (`--probe-src/--probe-tgt`, or the first `--probes` dev pairs)
    /// and, when `dev.align` lies beside the dev sources, of the dev AER.
    /// - Parameters:
    ///   - devKept: the indices of `dev`'s pairs in the dev files.
    ///   - subwords: the merges `dev` was segmented with, if any: probes from files are
    ///     segmented alike, and as the gold links name words, no dev AER is recorded.
    static func recorder(_ data: DataSettings, probes count: Int, dev: ParallelCorpus, devKept: [Int], model: any Seq2SeqModel,
                         subwords: Subwords?, vocabularies: (source: Vocabulary, target: Vocabulary), folder: URL) throws -> ValidationRecorder {
        func pair(_ source: [String], _ target: [String]) -> ProbePair {
            ProbePair(source: source, target: target, sourceIds: vocabularies.source.encode(source), targetIds: vocabularies.target.encode(target))
        }
        var probes = zip(dev.sources, dev.targets).prefix(count).map(pair)
        if let probeSource = data.probeSource, let probeTarget = data.probeTarget {
            var corpus: ParallelCorpus
            do { corpus = try ParallelCorpus.load(sourcePath: probeSource, targetPath: probeTarget) } catch {
                throw CommandError.failure("\(error)")
            }
            if let subwords { corpus = subwords.segment(corpus) }
            if let problem = model.lengthProblem(corpus.sources, file: probeSource) ?? model.lengthProblem(corpus.targets, file: probeTarget) {
                throw CommandError.failure(problem)
            }
            probes = Array(zip(corpus.sources, corpus.targets).map(pair).prefix(count))
        }
        let folderOfDev = (data.devSource as NSString).deletingLastPathComponent
        let gold = (folderOfDev as NSString).appendingPathComponent("dev.align")
        guard subwords == nil, !data.trainTarget.isEmpty, FileManager.default.fileExists(atPath: gold) else {
            return ValidationRecorder(runFolder: folder, probes: probes)
        }
        func links(_ path: String) throws -> [Set<AlignmentLink>]? {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            let all: [Set<AlignmentLink>]
            do { all = try Pharaoh.corpus(TextLines.read(path: path)) } catch { throw CommandError.failure("\(path) \(error)") }
            guard all.count > devKept.last ?? -1 else {
                throw CommandError.failure("\(path) has \(all.count) lines but \(data.devSource) has more")
            }
            return devKept.map { all[$0] }
        }
        let sure = try links(gold) ?? []
        let possible = try links((folderOfDev as NSString).appendingPathComponent("dev.possible"))
        return ValidationRecorder(runFolder: folder, probes: probes,
                                  alignedDev: (zip(dev.sources, dev.targets).map(pair), sure, possible))
    }
}
