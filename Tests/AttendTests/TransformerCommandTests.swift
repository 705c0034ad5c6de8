import Foundation
import XCTest

/// `--arch transformer` through the built binary: train, resume, translate, and align by
/// layer and head.
final class TransformerCommandTests: XCTestCase {
    private var corpus: TinyReverseCorpus!
    private let model = ["--arch", "transformer", "--model-dim", "16", "--heads", "2", "--layers", "2", "--ff-dim", "32",
                         "--warmup", "10", "--batch-size", "8", "--seed", "3"]

    override func setUpWithError() throws { corpus = try TinyReverseCorpus() }
    override func tearDownWithError() throws { corpus.remove() }

    func testTrainTranslateAndAlignEveryLayerAndHead() throws {
        let train = try corpus.attend(["train", "--data", "data", "--max-steps", "30", "--out", "run", "--tie-embeddings", "--layer-norm", "pre"] + model)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("attend: transformer, "), train.stderr)
        let translated = try corpus.attend(["translate", "--model", "run/best.safetensors", "--beam", "2"], input: "w1 w2 w3\nw4 w5\n")
        XCTAssertEqual(translated.status, 0, translated.stderr)
        XCTAssertEqual(translated.stdout.filter { $0 == "\n" }.count, 2)

        let every = try corpus.attend(["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt",
                                       "--out", "all", "--layer", "all", "--head", "all"])
        XCTAssertEqual(every.status, 0, every.stderr)
        for layer in 1...2 { for head in 1...2 { XCTAssertTrue(corpus.exists("all/000006.layer\(layer).head\(head).csv")) } }
        XCTAssertFalse(corpus.exists("all/000001.csv"))

        // The default (last layer, averaged over heads) is the mean of that layer's two heads.
        XCTAssertEqual(try corpus.attend(["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt",
                                          "--out", "mean"]).status, 0)
        func matrix(_ path: String) throws -> [[Double]] {
            try corpus.text(path).split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().map { Double($0)! } }
        }
        let mean = try matrix("mean/000001.csv")
        let heads = try (1...2).map { try matrix("all/000001.layer2.head\($0).csv") }
        for (i, row) in mean.enumerated() {
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
            for j in row.indices { XCTAssertEqual(row[j], (heads[0][i][j] + heads[1][i][j]) / 2, accuracy: 2e-6) }
        }
        let one = try corpus.attend(["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--format", "pharaoh",
                                     "--out", "links.txt", "--layer", "1", "--head", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(corpus.exists("links.layer1.head2.txt"))
        let bad = try corpus.attend(["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--out", "x", "--head", "3"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.hasPrefix("error: --head must be 1 … 2 or all"), bad.stderr)
    }

    func testResumedTransformerComputesTheSameLosses() throws {
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

    func testOptionsOfTheOtherArchitectureAreUsageErrors() throws {
        let rnnOption = try corpus.attend(["train", "--data", "data", "--hidden-dim", "8"] + model)
        XCTAssertEqual(rnnOption.status, 2)
        XCTAssertTrue(rnnOption.stderr.hasPrefix("error: --hidden-dim is for RNN models"), rnnOption.stderr)
        let transformerOption = try corpus.attend(["train", "--data", "data", "--heads", "2"])
        XCTAssertEqual(transformerOption.status, 2)
        XCTAssertTrue(transformerOption.stderr.hasPrefix("error: --heads is for --arch transformer"), transformerOption.stderr)
        let indivisible = try corpus.attend(["train", "--data", "data", "--arch", "transformer", "--model-dim", "10", "--heads", "4"])
        XCTAssertEqual(indivisible.status, 2)
        XCTAssertTrue(indivisible.stderr.contains("must be a multiple of --heads"), indivisible.stderr)

        XCTAssertEqual(try corpus.attend(["train", "--data", "data", "--max-steps", "1", "--out", "rnn", "--embed-dim", "8", "--hidden-dim", "8"]).status, 0)
        let layerOfRNN = try corpus.attend(["align", "--model", "rnn/best.safetensors", "--src", "data/dev.src", "--out", "x", "--layer", "1"])
        XCTAssertEqual(layerOfRNN.status, 2)
        XCTAssertTrue(layerOfRNN.stderr.hasPrefix("error: --layer and --head are for Transformer models"), layerOfRNN.stderr)
    }
}
