import Foundation
import Seq2Seq

/// `attend train --bpe N` or `--bpe-codes FILE`: train on subword pieces, with merges learned
/// from the training data or read from codes files (`attend bpe learn`). Saved in `run.json`.
struct SubwordSettings: Codable, Equatable {
    var merges: Int?
    var separate = false
    var codes: String?
    var targetCodes: String?

    static let options: [Option<SubwordSettings>] = [
        .integer("bpe", \.merges, help: "learn N byte-pair merges from the training pairs and train on subwords"),
        .flag("bpe-separate", \.separate, help: "with --bpe: merges learned for each side apart (default: one joint set)"),
        .text("bpe-codes", \.codes, valueName: "FILE", help: "read the merges from a codes file (attend bpe learn) instead"),
        .text("bpe-target-codes", \.targetCodes, valueName: "FILE", help: "with --bpe-codes: other merges for the target side"),
    ]

    var isOn: Bool { merges != nil || codes != nil }

    func validate() throws {
        if merges != nil && codes != nil { throw CommandError.usage("--bpe learns merges, --bpe-codes reads them: give one") }
        if let merges, merges < 1 { throw CommandError.usage("--bpe must be at least 1") }
        if separate && merges == nil { throw CommandError.usage("--bpe-separate goes with --bpe N") }
        if targetCodes != nil && codes == nil { throw CommandError.usage("--bpe-target-codes goes with --bpe-codes") }
    }

    /// The merges to train with: a resumed run's own, read from files, or learned from `train`.
    func subwords(train: ParallelCorpus, resumed: Checkpoint?) throws -> Subwords? {
        if let resumed { return resumed.subwords }
        if let merges {
            return Subwords.learn(merges: merges, sources: train.sources, targets: train.targets, separate: separate)
        }
        guard let codes else { return nil }
        let source = try readCodes(codes)
        return Subwords(source: source, target: try targetCodes.map(readCodes) ?? source)
    }

    /// One line for the start of training.
    static func summary(_ subwords: Subwords) -> String {
        subwords.source == subwords.target ? "subwords: \(subwords.source.merges.count) joint merges"
            : "subwords: \(subwords.source.merges.count) source and \(subwords.target.merges.count) target merges"
    }
}
