import Foundation
import Seq2Seq

/// Everything a run folder records, as `attend report` reads it: what is there now, while the
/// run may still be writing (a half-written last row is skipped; a step logged twice, after a
/// resume from an earlier checkpoint, keeps its latest row).
struct RunRecords {
    /// One row of `metrics.csv`.
    struct Step { var step: Int, loss: Double, tokens: Int, learningRate: Double, elapsed: Double }
    /// One row of `validation.csv`.
    struct Validation { var step: Int, loss: Double, perplexity: Double, bleu: Double, exact: Double }
    /// One row of `alignment.csv`.
    struct Alignment { var step: Int, aer: Double, precision: Double, recall: Double }
    /// One `eval*.json` (`attend eval --json` saved in the folder): its name and figures.
    struct Evaluation { var name: String, figures: [(label: String, value: String)] }

    var folder: URL
    /// `run.json` flattened: `("training.lr", "0.001")`, … in key order.
    var settings: [(key: String, value: String)] = []
    var steps: [Step] = []
    var validations: [Validation] = []
    var alignments: [Alignment] = []
    var probes: [ProbeRecord] = []
    var evaluations: [Evaluation] = []
    /// Whether an `attend train` holds the folder's lock now.
    var isTraining = false

    init(folder: URL) throws {
        self.folder = folder
        let manager = FileManager.default
        guard let runJSON = manager.contents(atPath: folder.appendingPathComponent("run.json").path) else {
            throw CommandError.failure("\(folder.path) is not a run folder (no run.json)")
        }
        if let object = try? JSONSerialization.jsonObject(with: runJSON) { settings = Self.flattened(object, prefix: "") }
        steps = rows("metrics.csv") { r in
            guard let step = r.int("step"), let loss = r.double("loss"), let tokens = r.int("target_tokens"),
                  let rate = r.double("learning_rate"), let elapsed = r.double("elapsed_s") else { return nil }
            return Step(step: step, loss: loss, tokens: tokens, learningRate: rate, elapsed: elapsed)
        }
        validations = rows("validation.csv") { r in
            guard let step = r.int("step"), let loss = r.double("loss"), let ppl = r.double("perplexity"),
                  let bleu = r.double("bleu"), let exact = r.double("exact_match") else { return nil }
            return Validation(step: step, loss: loss, perplexity: ppl, bleu: bleu, exact: exact)
        }
        alignments = rows(ValidationRecorder.alignmentFileName) { r in
            guard let step = r.int("step"), let aer = r.double("aer"), let p = r.double("precision"), let rc = r.double("recall") else { return nil }
            return Alignment(step: step, aer: aer, precision: p, recall: rc)
        }
        let probeFolder = folder.appendingPathComponent(ValidationRecorder.probeFolderName)
        let probeFiles = ((try? manager.contentsOfDirectory(atPath: probeFolder.path)) ?? []).filter { $0.hasPrefix("step-") && $0.hasSuffix(".json") }
        probes = probeFiles.sorted().compactMap { name in
            manager.contents(atPath: probeFolder.appendingPathComponent(name).path).flatMap { try? JSONDecoder().decode(ProbeRecord.self, from: $0) }
        }
        let names = ((try? manager.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("eval") && $0.hasSuffix(".json") }
        evaluations = names.sorted().compactMap { name in
            manager.contents(atPath: folder.appendingPathComponent(name).path).flatMap { Self.evaluation(name, $0) }
        }
        isTraining = RunLock.isHeld(folder)
    }

    /// The elapsed training time at `step`, from the nearest logged step at or before it.
    func elapsed(atStep step: Int) -> Double? {
        var low = 0, high = steps.count
        while low < high {
            let middle = (low + high) / 2
            if steps[middle].step <= step { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? steps[low - 1].elapsed : nil
    }

    /// A CSV of the folder as rows keyed by its header, sorted by step, one row per step (the last).
    private func rows<Row>(_ name: String, _ parse: (CSVRow) -> Row?) -> [Row] where Row: StepKeyed {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { return [] }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { return [] }
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        var byStep = [Int: Row]()
        for line in lines {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == header.count, let row = parse(CSVRow(header: header, cells: cells)) else { continue }
            byStep[row.step] = row
        }
        return byStep.keys.sorted().compactMap { byStep[$0] }
    }

    private struct CSVRow {
        var header: [String], cells: [String]
        func text(_ name: String) -> String? { header.firstIndex(of: name).map { cells[$0] } }
        func int(_ name: String) -> Int? { text(name).flatMap { Int($0) } }
        func double(_ name: String) -> Double? { text(name).flatMap { Double($0) ?? ($0.lowercased().contains("nan") ? .nan : nil) } }
    }

    private static func flattened(_ value: Any, prefix: String) -> [(key: String, value: String)] {
        if let dictionary = value as? [String: Any] {
            return dictionary.keys.sorted().flatMap { flattened(dictionary[$0] as Any, prefix: prefix.isEmpty ? $0 : "\(prefix).\($0)") }
        }
        if let array = value as? [Any] { return [(prefix, array.map { "\($0)" }.joined(separator: ", "))] }
        if let number = value as? NSNumber { return [(prefix, number.stringValue)] }
        return [(prefix, "\(value)")]
    }

    /// The headline figures of an `attend eval --json` object, or `nil` for other JSON.
    private static func evaluation(_ name: String, _ data: Data) -> Evaluation? {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        func figure(_ key: String, _ field: String, _ label: String, _ decimals: Int, _ unit: String = "") -> (String, String)? {
            guard let value = (object[key] as? [String: Any])?[field] as? NSNumber else { return nil }
            return (label, String(format: "%.\(decimals)f", value.doubleValue) + unit)
        }
        let figures = [figure("bleu", "score", "BLEU", 2), figure("chrf", "score", "chrF2", 2),
                       figure("exact_match", "percent", "exact match", 1, "%"), figure("perplexity", "perplexity", "perplexity", 3),
                       figure("aer", "aer", "AER", 4)].compactMap { $0 }
        return figures.isEmpty ? nil : Evaluation(name: name, figures: figures.map { (label: $0.0, value: $0.1) })
    }
}

/// A record that belongs to one training step.
protocol StepKeyed { var step: Int { get } }
extension RunRecords.Step: StepKeyed {}
extension RunRecords.Validation: StepKeyed {}
extension RunRecords.Alignment: StepKeyed {}
