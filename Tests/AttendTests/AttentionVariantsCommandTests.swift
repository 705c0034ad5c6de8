import Foundation
import XCTest

/// Hard attention, coverage and guided alignment through the built binary, on the tiny reverse
/// corpus: they train, decode, align and resume, and their options fail clearly.
final class AttentionVariantsCommandTests: XCTestCase {
    private var corpus: TinyReverseCorpus!
    private let model = ["--embed-dim", "16", "--hidden-dim", "32", "--batch-size", "8", "--seed", "3"]

    override func setUpWithError() throws { corpus = try TinyReverseCorpus() }
    override func tearDownWithError() throws { corpus.remove() }

    private func attend(_ arguments: [String], input: String? = nil) throws -> AttendProcess.Run {
        try corpus.attend(arguments, input: input)
    }

    /// Step, epoch and loss of every step of a run.
    private func losses(_ run: String) throws -> [String] {
        try corpus.text(run + "/metrics.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",").prefix(3).joined(separator: ",") }
    }

    /// The training pairs' gold links: the anti-diagonal of each reversal.
    private func writeGoldLinks(_ name: String = "train.align", dropLast: Int = 0) throws {
        let sources = try corpus.text("data/train.src").split(separator: "\n").map { $0.split(separator: " ").count }
        try corpus.write(name, sources.dropLast(dropLast).map { n in (0..<n).map { "\($0)-\(n - 1 - $0)" }.joined(separator: " ") })
    }

    func testHardAttentionTrainsAlignsAndResumesExactly() throws {
        let common = ["train", "--data", "data", "--attention", "hard", "--valid-every", "10"] + model
        let whole = try attend(common + ["--max-steps", "24", "--out", "whole"])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        XCTAssertTrue(whole.stderr.contains("gru + hard"), whole.stderr)
        XCTAssertEqual(try attend(common + ["--max-steps", "10", "--out", "parts"]).status, 0)
        let resumed = try attend(["train", "--resume", "parts", "--max-steps", "24"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try losses("parts"), try losses("whole"), "the samples and the baseline carry over")

        let translated = try attend(["translate", "--model", "whole/best.safetensors"], input: "w1 w2 w3\n")
        XCTAssertEqual(translated.status, 0, translated.stderr)
        let pharaoh = try attend(["align", "--model", "whole/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt",
                                  "--format", "pharaoh", "--out", "-"])
        XCTAssertEqual(pharaoh.status, 0, pharaoh.stderr)
        XCTAssertEqual(pharaoh.stdout.split(separator: "\n").count, 6)
        let csv = try attend(["align", "--model", "whole/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt", "--out", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let rows = try corpus.text("csv/000001.csv").split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().compactMap { Double($0) } }
        for row in rows { XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5, "align writes the distribution α") }
    }

    func testCoverageTrainsUnderItsOwnNameWithItsParameter() throws {
        let run = try attend(["train", "--data", "data", "--coverage", "--coverage-loss", "0.5", "--max-steps", "5"] + model)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("gru + bahdanau with coverage (loss 0.5)"), run.stderr)
        let checkpoint = try Data(contentsOf: corpus.directory.appendingPathComponent("runs/data-gru-bahdanau-coverage/best.safetensors"))
        XCTAssertNotNil(checkpoint.range(of: Data("decoder.attention.coverage_layer.weight".utf8)))
        let translated = try attend(["translate", "--model", "runs/data-gru-bahdanau-coverage/best.safetensors", "--beam", "3"],
                                    input: "w1 w2 w3\n")
        XCTAssertEqual(translated.status, 0, translated.stderr)
    }

    func testGuidedAlignmentReadsTheCorpusLinks() throws {
        try writeGoldLinks()
        let run = try attend(["train", "--data", "data", "--guided-alignment", "--guided-weight", "0.5", "--max-steps", "4", "--out", "guided"] + model)
        XCTAssertEqual(run.status, 0, run.stderr)
        let settings = try corpus.text("guided/run.json")
        XCTAssertTrue(settings.contains("\"guidedAlignment\" : \"data\\/train.align\""), settings)
        XCTAssertTrue(settings.contains("\"guidedWeight\" : 0.5"), settings)
        XCTAssertEqual(try attend(["train", "--resume", "guided", "--max-steps", "6"]).status, 0)

        try writeGoldLinks("other.align")
        let explicit = try attend(["train", "--data", "data", "--guided-alignment", "data/other.align", "--max-steps", "2", "--out", "explicit"] + model)
        XCTAssertEqual(explicit.status, 0, explicit.stderr)
    }

    func testGuidedAlignmentErrors() throws {
        try writeGoldLinks(dropLast: 1)
        let short = try attend(["train", "--data", "data", "--guided-alignment", "--max-steps", "2", "--out", "short"] + model)
        XCTAssertEqual(short.status, 1)
        XCTAssertEqual(short.stderr, "error: alignments data/train.align have 47 lines but the training corpus has 48 sentence pairs\n")
        XCTAssertFalse(corpus.exists("short/run.json"), "nothing is written")

        let missing = try attend(["train", "--data", "data", "--guided-alignment", "data/none.align", "--max-steps", "2", "--out", "missing"] + model)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "error: no such file: data/none.align\n")

        let usages: [([String], String)] = [
            (["--guided-weight", "0.5"], "error: --guided-weight needs --guided-alignment\n"),
            (["--guided-alignment", "--alignment-head", "2"], "error: --alignment-head must be 1 … 1: the model has 1 head\n"),
            (["--guided-alignment", "--attention", "none"], "error: --guided-alignment needs a model with attention\n"),
            (["--hard-entropy", "0.1"], "error: --hard-entropy applies to --attention hard\n"),
            (["--attention", "luong-dot", "--coverage"], "error: --coverage applies to bahdanau and luong-concat\n"),
            (["--coverage-loss", "1"], "error: --coverage-loss needs --coverage\n"),
            (["--attention", "hard", "--hard-soft-mix", "2"], "error: --hard-soft-mix must be in [0, 1]\n"),
        ]
        try writeGoldLinks()
        for (arguments, message) in usages {
            let run = try attend(["train", "--data", "data", "--max-steps", "1", "--out", "usage"] + arguments + model)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.hasPrefix(message), "\(arguments): \(run.stderr)")
        }
        try corpus.write("train.tsv", ["w1 w2\tw2 w1"])
        let tsv = try attend(["train", "--train-tsv", "data/train.tsv", "--dev-tsv", "data/train.tsv", "--guided-alignment", "--out", "tsv"])
        XCTAssertEqual(tsv.status, 2)
        XCTAssertTrue(tsv.stderr.hasPrefix("error: --guided-alignment needs a FILE when the corpus is not a --data folder\n"), tsv.stderr)
    }
}
