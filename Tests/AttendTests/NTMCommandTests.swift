import Foundation
import XCTest

/// `--arch ntm` through the built binary: train, resume, translate, evaluate, align the derived
/// source attention, and dump the raw memory weightings with `align --memory`.
final class NTMCommandTests: XCTestCase {
    private var corpus: TinyReverseCorpus!
    private let model = ["--arch", "ntm", "--embed-dim", "8", "--hidden-dim", "16", "--memory-slots", "12", "--memory-width", "6",
                         "--batch-size", "8", "--seed", "3"]

    override func setUpWithError() throws { corpus = try TinyReverseCorpus() }
    override func tearDownWithError() throws { corpus.remove() }

    /// A CSV matrix's header and rows (each without its first column, the row's token).
    private func matrix(_ path: String) throws -> (header: [String], rows: [[Double]]) {
        let lines = try corpus.text(path).split(separator: "\n")
        return (lines[0].split(separator: ",", omittingEmptySubsequences: false).dropFirst().map(String.init),
                lines.dropFirst().map { $0.split(separator: ",").dropFirst().map { Double($0)! } })
    }

    func testTrainTranslateEvaluateAndAlign() throws {
        let train = try corpus.attend(["train", "--data", "data", "--max-steps", "30", "--out", "run"] + model)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("attend: ntm (LSTM controller of 16, memory 12 × 6, 1 read head, shifts ±1), "), train.stderr)
        XCTAssertTrue(try corpus.text("run/run.json").contains("\"arch\" : \"ntm\""))
        for beam in ["1", "2"] {
            let translated = try corpus.attend(["translate", "--model", "run/best.safetensors", "--beam", beam], input: "w1 w2 w3\nw4 w5\n")
            XCTAssertEqual(translated.status, 0, translated.stderr)
            XCTAssertEqual(translated.stdout.filter { $0 == "\n" }.count, 2)
        }
        let evaluated = try corpus.attend(["eval", "--model", "run/best.safetensors", "--src", "data/dev.src", "--ref", "data/dev.tgt"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        XCTAssertTrue(evaluated.stdout.contains("perplexity = "), evaluated.stdout)

        let aligned = ["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt"]
        XCTAssertEqual(try corpus.attend(aligned + ["--out", "csv"]).status, 0)
        let attention = try matrix("csv/000001.csv")
        XCTAssertEqual(attention.header.last, "</s>")
        for row in attention.rows { XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5, "the derived attention is a distribution over the source") }
        for (format, out) in [("long", "long.csv"), ("pharaoh", "links.txt"), ("svg", "svg")] {
            let run = try corpus.attend(aligned + ["--format", format, "--out", out])
            XCTAssertEqual(run.status, 0, "\(format): \(run.stderr)")
        }
        XCTAssertTrue(corpus.exists("svg/000006.svg") && corpus.exists("links.txt") && corpus.exists("long.csv"))
    }

    /// `--memory`: the write weighting at each source step and the read weighting at each target
    /// step, a column per slot; every row a distribution.
    func testAlignMemoryWritesTheRawWeightings() throws {
        XCTAssertEqual(try corpus.attend(["train", "--data", "data", "--max-steps", "10", "--out", "run", "--read-heads", "2"] + model).status, 0)
        let sources = try corpus.text("data/dev.src").split(separator: "\n"), targets = try corpus.text("data/dev.tgt").split(separator: "\n")
        let aligned = ["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt", "--memory"]
        let run = try corpus.attend(aligned + ["--out", "memory"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("write, read1, read2"), run.stderr)
        let write = try matrix("memory/000001.write.csv"), read = try matrix("memory/000001.read2.csv")
        XCTAssertEqual(write.header, (0..<12).map(String.init), "a column per memory slot")
        XCTAssertEqual(write.rows.count, sources[0].split(separator: " ").count + 1, "a row per source word and </s>")
        XCTAssertEqual(read.rows.count, targets[0].split(separator: " ").count + 1, "a row per target word and </s>")
        for row in write.rows + read.rows { XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5) }
        XCTAssertEqual(try corpus.attend(aligned + ["--format", "svg", "--out", "pictures"]).status, 0)
        XCTAssertTrue(corpus.exists("pictures/000006.write.svg") && corpus.exists("pictures/000006.read1.svg"))
        let picture = try corpus.text("pictures/000001.write.svg")
        XCTAssertTrue(picture.contains(">slot →<") && picture.contains(">source ↓<"), "the captions name slots and source steps")

        // Heads of the derived attention.
        XCTAssertEqual(try corpus.attend(aligned.dropLast() + ["--head", "all", "--out", "heads"]).status, 0)
        XCTAssertTrue(corpus.exists("heads/000001.layer1.head2.csv"))

        for (extra, message) in [(["--format", "pharaoh", "--out", "x.txt"], "error: --memory writes weightings over memory slots"),
                                 (["--head", "1", "--out", "x"], "error: --memory writes every head's weightings"),
                                 (["--format", "long", "--out", "-"], "error: --memory writes several files")] {
            let refused = try corpus.attend(aligned + extra)
            XCTAssertEqual(refused.status, 2)
            XCTAssertTrue(refused.stderr.hasPrefix(message), refused.stderr)
        }
    }

    func testMemoryOfAModelWithoutOneIsAUsageError() throws {
        XCTAssertEqual(try corpus.attend(["train", "--data", "data", "--max-steps", "2", "--out", "gru", "--hidden-dim", "8"]).status, 0)
        let run = try corpus.attend(["align", "--model", "gru/best.safetensors", "--src", "data/dev.src", "--memory", "--out", "x"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.hasPrefix("error: --memory is for models with an external memory"), run.stderr)
    }

    func testResumedNTMComputesTheSameLosses() throws {
        let common = ["train", "--data", "data", "--valid-every", "10"] + model
        XCTAssertEqual(try corpus.attend(common + ["--max-steps", "24", "--out", "whole"]).status, 0)
        XCTAssertEqual(try corpus.attend(common + ["--max-steps", "10", "--out", "parts"]).status, 0)
        XCTAssertEqual(try corpus.attend(["train", "--resume", "parts", "--max-steps", "24"]).status, 0)
        func losses(_ run: String) throws -> [String] {
            try corpus.text(run + "/metrics.csv").split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") }
        }
        XCTAssertEqual(try losses("parts"), try losses("whole"), "step, epoch, loss, tokens and learning rate of every step")
    }

    func testOptionsOfOtherArchitecturesAndBadValuesAreUsageErrors() throws {
        let foreign = try corpus.attend(["train", "--data", "data", "--memory-slots", "8"])
        XCTAssertEqual(foreign.status, 2)
        XCTAssertTrue(foreign.stderr.hasPrefix("error: --memory-slots is for --arch ntm, not --arch gru"), foreign.stderr)
        let other = try corpus.attend(["train", "--data", "data", "--heads", "2"] + model)
        XCTAssertEqual(other.status, 2)
        XCTAssertTrue(other.stderr.hasPrefix("error: --heads is for --arch transformer, not --arch ntm"), other.stderr)
        let wide = try corpus.attend(["train", "--data", "data", "--shift-range", "7"] + model)
        XCTAssertEqual(wide.status, 2)
        XCTAssertTrue(wide.stderr.contains("--shift-range 7 needs at least 15 memory slots"), wide.stderr)
    }
}
