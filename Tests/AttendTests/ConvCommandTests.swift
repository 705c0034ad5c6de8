import Foundation
import XCTest

/// `--arch conv` through the built binary: train, resume, translate, evaluate, and align by
/// layer in every format.
final class ConvCommandTests: XCTestCase {
    private var corpus: TinyReverseCorpus!
    private let model = ["--arch", "conv", "--conv-layers", "2", "--conv-channels", "16", "--embed-dim", "8",
                         "--batch-size", "8", "--seed", "3"]

    override func setUpWithError() throws { corpus = try TinyReverseCorpus() }
    override func tearDownWithError() throws { corpus.remove() }

    func testTrainTranslateEvaluateAndAlignEveryLayer() throws {
        let train = try corpus.attend(["train", "--data", "data", "--max-steps", "30", "--out", "run"] + model)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("attend: conv (2 + 2 blocks of 16 channels, kernel width 3), "), train.stderr)
        let stored = try corpus.text("run/run.json")
        XCTAssertTrue(stored.contains("\"arch\" : \"fconv\""), stored)
        for beam in ["1", "2"] {
            let translated = try corpus.attend(["translate", "--model", "run/best.safetensors", "--beam", beam], input: "w1 w2 w3\nw4 w5\n")
            XCTAssertEqual(translated.status, 0, translated.stderr)
            XCTAssertEqual(translated.stdout.filter { $0 == "\n" }.count, 2)
        }
        let evaluated = try corpus.attend(["eval", "--model", "run/best.safetensors", "--src", "data/dev.src", "--ref", "data/dev.tgt"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        XCTAssertTrue(evaluated.stdout.contains("perplexity = "), evaluated.stdout)

        let aligned = ["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt"]
        XCTAssertEqual(try corpus.attend(aligned + ["--out", "all", "--layer", "all"]).status, 0)
        for layer in 1...2 { XCTAssertTrue(corpus.exists("all/000006.layer\(layer).csv")) }
        XCTAssertFalse(corpus.exists("all/000001.csv"))
        for (format, out) in [("long", "long.csv"), ("pharaoh", "links.txt"), ("svg", "svg")] {
            let run = try corpus.attend(aligned + ["--format", format, "--out", out, "--layer", "all"])
            XCTAssertEqual(run.status, 0, "\(format): \(run.stderr)")
        }
        XCTAssertTrue(corpus.exists("long.layer2.csv") && corpus.exists("links.layer1.txt") && corpus.exists("svg/000006.layer2.svg"))

        // The default is the average over the layers.
        XCTAssertEqual(try corpus.attend(aligned + ["--out", "mean"]).status, 0)
        func matrix(_ path: String) throws -> [[Double]] {
            try corpus.text(path).split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().map { Double($0)! } }
        }
        let mean = try matrix("mean/000001.csv")
        let layers = try (1...2).map { try matrix("all/000001.layer\($0).csv") }
        for (i, row) in mean.enumerated() {
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
            for j in row.indices { XCTAssertEqual(row[j], (layers[0][i][j] + layers[1][i][j]) / 2, accuracy: 2e-6) }
        }
        let bad = try corpus.attend(aligned + ["--out", "x", "--layer", "3"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.hasPrefix("error: --layer must be 1 … 2 or all"), bad.stderr)
    }

    func testResumedConvComputesTheSameLosses() throws {
        let common = ["train", "--data", "data", "--valid-every", "10"] + model
        XCTAssertEqual(try corpus.attend(common + ["--max-steps", "24", "--out", "whole"]).status, 0)
        XCTAssertEqual(try corpus.attend(common + ["--max-steps", "10", "--out", "parts"]).status, 0)
        XCTAssertEqual(try corpus.attend(["train", "--resume", "parts", "--max-steps", "24"]).status, 0)
        // Every column but the elapsed time.
        func losses(_ run: String) throws -> [String] {
            try corpus.text(run + "/metrics.csv").split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") }
        }
        XCTAssertEqual(try losses("parts"), try losses("whole"), "step, epoch, loss, tokens and learning rate of every step")
    }

    func testOptionsOfOtherArchitecturesAreUsageErrors() throws {
        let transformerOption = try corpus.attend(["train", "--data", "data", "--heads", "2"] + model)
        XCTAssertEqual(transformerOption.status, 2)
        XCTAssertTrue(transformerOption.stderr.hasPrefix("error: --heads is for --arch transformer, not --arch conv"), transformerOption.stderr)
        let convOption = try corpus.attend(["train", "--data", "data", "--kernel-width", "5"])
        XCTAssertEqual(convOption.status, 2)
        XCTAssertTrue(convOption.stderr.hasPrefix("error: --kernel-width is for --arch conv, not --arch gru"), convOption.stderr)
        let zero = try corpus.attend(["train", "--data", "data", "--kernel-width", "0"] + model)
        XCTAssertEqual(zero.status, 2)
        XCTAssertTrue(zero.stderr.contains("--kernel-width must be at least 1"), zero.stderr)
    }
}
