import Foundation
import XCTest

/// `attend train` → `translate` → `align` through the built binary, on a tiny reverse corpus.
final class TrainTranslateAlignTests: XCTestCase {
    private var corpus: TinyReverseCorpus!
    private var directory: URL { corpus.directory }
    private var data: URL { corpus.data }

    /// Small and fast: 48 training pairs of 3–5 tokens over 8 symbols.
    private let model = ["--embed-dim", "16", "--hidden-dim", "32", "--batch-size", "8", "--seed", "3"]

    override func setUpWithError() throws { corpus = try TinyReverseCorpus() }
    override func tearDownWithError() throws { corpus.remove() }

    private func write(_ name: String, _ lines: [String]) throws { try corpus.write(name, lines) }

    private func attend(_ arguments: [String], input: String? = nil) throws -> AttendProcess.Run {
        try corpus.attend(arguments, input: input)
    }

    private func losses(_ run: String) throws -> [String] {
        let text = try String(contentsOf: directory.appendingPathComponent(run + "/metrics.csv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",").prefix(3).joined(separator: ",") }
    }

    func testTrainThenTranslateThenAlign() throws {
        let train = try attend(["train", "--data", "data", "--max-steps", "40", "--valid-every", "20", "--out", "run"] + model)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertEqual(train.stdout, "", "training talks on stderr only")
        XCTAssertTrue(train.stderr.contains("valid  step     20"), train.stderr)
        XCTAssertTrue(train.stderr.contains("attend translate --model"), "it says how to translate")
        for file in ["best.safetensors", "last.safetensors", "metrics.csv", "validation.csv", "run.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("run/" + file).path), file)
        }
        XCTAssertEqual(try losses("run").count, 40)

        let translated = try attend(["translate", "--model", "run/best.safetensors"], input: "w1 w2 w3\nw4 w5 w6 w7\n")
        XCTAssertEqual(translated.status, 0, translated.stderr)
        XCTAssertEqual(translated.stdout.split(separator: "\n", omittingEmptySubsequences: false).count, 3, "two lines and a final newline")
        let beam = try attend(["translate", "--model", "run/best.safetensors", "--beam", "3", "--n-best", "2"], input: "w1 w2 w3\n")
        XCTAssertEqual(beam.status, 0, beam.stderr)
        XCTAssertEqual(beam.stdout.split(separator: "\t").count, 4, "two hypotheses with their scores: \(beam.stdout)")

        let csv = try attend(["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt", "--out", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let matrix = try String(contentsOf: directory.appendingPathComponent("csv/000001.csv"), encoding: .utf8)
        let rows = matrix.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let source = try String(contentsOf: data.appendingPathComponent("dev.src"), encoding: .utf8).split(separator: "\n")[0]
        XCTAssertEqual(rows[0].dropFirst().joined(separator: " "), source + " </s>", "header: source tokens and </s>")
        for row in rows.dropFirst() {
            XCTAssertEqual(row.dropFirst().compactMap { Double($0) }.reduce(0, +), 1, accuracy: 1e-5)
        }
        let evaluation = try attend(["eval", "--model", "run/best.safetensors", "--src", "data/dev.src", "--ref", "data/dev.tgt", "--json"])
        XCTAssertEqual(evaluation.status, 0, evaluation.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(Set(report.keys), ["bleu", "chrf", "exact_match", "perplexity"])
        let perplexity = try XCTUnwrap(report["perplexity"] as? [String: Any])
        XCTAssertGreaterThan(perplexity["perplexity"] as? Double ?? 0, 1)

        let pharaoh = try attend(["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--format", "pharaoh", "--out", "-"])
        XCTAssertEqual(pharaoh.status, 0, pharaoh.stderr)
        XCTAssertEqual(pharaoh.stdout.split(separator: "\n", omittingEmptySubsequences: false).count, 7)
    }

    func testLocalAttentionTrainsAndAlignsWithinItsWindow() throws {
        let train = try attend(["train", "--data", "data", "--attention", "local-p", "--window", "3", "--max-steps", "5", "--out", "local"] + model)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("gru + local-p (window 3)"), train.stderr)
        let settings = try String(contentsOf: directory.appendingPathComponent("local/run.json"), encoding: .utf8)
        XCTAssertTrue(settings.contains("\"window\" : 3"), settings)

        let csv = try attend(["align", "--model", "local/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt", "--out", "csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        for sentence in 1...6 {
            let matrix = try String(contentsOf: directory.appendingPathComponent(String(format: "csv/%06d.csv", sentence)), encoding: .utf8)
            let rows = matrix.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().compactMap { Double($0) } }
            XCTAssertFalse(rows.isEmpty)
            for row in rows {
                XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5, "sentence \(sentence)")
                XCTAssertLessThanOrEqual(row.filter { $0 > 0 }.count, 7, "sentence \(sentence): at most 2D + 1 positions")
            }
        }

        // The dev sentences are shorter than a window of 3; local-m with D = 1 shows the window
        // the checkpoint kept: row t attends exactly to |s − min(t, S − 1)| ≤ 1.
        let monotonic = try attend(["train", "--data", "data", "--attention", "local-m", "--window", "1", "--max-steps", "2", "--out", "monotonic"] + model)
        XCTAssertEqual(monotonic.status, 0, monotonic.stderr)
        let narrow = try attend(["align", "--model", "monotonic/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt", "--out", "narrow"])
        XCTAssertEqual(narrow.status, 0, narrow.stderr)
        let matrix = try String(contentsOf: directory.appendingPathComponent("narrow/000001.csv"), encoding: .utf8)
        let rows = matrix.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().compactMap { Double($0) } }
        for (t, row) in rows.enumerated() {
            let centre = min(t, row.count - 1)
            XCTAssertEqual(row.indices.filter { row[$0] > 0 }, Array(max(0, centre - 1)...min(row.count - 1, centre + 1)), "row \(t)")
        }

        let global = try attend(["train", "--data", "data", "--attention", "luong-general", "--window", "3", "--out", "global"])
        XCTAssertEqual(global.status, 2)
        XCTAssertTrue(global.stderr.hasPrefix("error: --window applies to local-m and local-p\n"), global.stderr)
        let empty = try attend(["train", "--data", "data", "--attention", "local-m", "--window", "0", "--out", "empty"])
        XCTAssertEqual(empty.status, 2)
        XCTAssertTrue(empty.stderr.hasPrefix("error: --window must be at least 1\n"), empty.stderr)
    }

    func testResumedRunComputesTheSameLossesAsAnUninterruptedOne() throws {
        let common = ["train", "--data", "data", "--valid-every", "10", "--dropout", "0.2"] + model
        XCTAssertEqual(try attend(common + ["--max-steps", "24", "--out", "whole"]).status, 0)
        XCTAssertEqual(try attend(common + ["--max-steps", "10", "--out", "parts"]).status, 0)
        let resumed = try attend(["train", "--resume", "parts", "--max-steps", "24"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming"), resumed.stderr)
        XCTAssertEqual(try losses("parts"), try losses("whole"), "step, epoch and loss of every step")
    }

    func testErrorsAreOneLineAndExitCodesSayWhichKind() throws {
        // More input than a pipe holds: attend fails before reading it, so writing it meets a
        // closed pipe every time (with a line, only when the machine is slow).
        let missing = try attend(["translate", "--model", "nowhere.safetensors"], input: String(repeating: "a\n", count: 100_000))
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderrLines.count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.hasPrefix("error: "), missing.stderr)

        let usage = try attend(["align", "--src", "x"])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.stderr.contains("usage: attend align"), usage.stderr)

        try write("bad.tgt", ["only one line"])
        let mismatch = try attend(["train", "--train-src", "data/train.src", "--train-tgt", "data/bad.tgt",
                                   "--dev-src", "data/dev.src", "--dev-tgt", "data/dev.tgt", "--out", "bad"])
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertEqual(mismatch.stderr, "error: corpus data/train.src has 48 lines but data/bad.tgt has 1\n")

        let badOption = try attend(["train", "--attention", "sideways"])
        XCTAssertEqual(badOption.status, 2)
        XCTAssertTrue(badOption.stderr.hasPrefix("error: --attention must be one of"), badOption.stderr)

        XCTAssertEqual(try attend(["train", "--help"]).status, 0)
    }

    func testAnExistingRunIsNeverOverwritten() throws {
        XCTAssertEqual(try attend(["train", "--data", "data", "--max-steps", "2", "--out", "run"] + model).status, 0)
        let again = try attend(["train", "--data", "data", "--max-steps", "2", "--out", "run"] + model)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("--resume run"), again.stderr)
    }
}
