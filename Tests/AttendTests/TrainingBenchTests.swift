import Foundation
import XCTest

/// `attend bench train` through the built binary, on tiny shapes: the line it prints, and its
/// usage errors. No timing is asserted (the machine may be busy).
final class TrainingBenchTests: XCTestCase {
    private let tiny = ["--steps", "2", "--warmup", "1", "--width", "32", "--vocab", "50", "--batch", "4", "--src-len", "6", "--tgt-len", "5"]

    /// The numbers of a `[MODEL threads=T PRECISION] params=P step median X ms … loss A->B` line.
    private struct Line {
        var model: String, threads: Int, parameters: Int
        var median: Double, minimum: Double, maximum: Double, tokensPerSecond: Double
        var forward: Double, backward: Double, optimizer: Double
        var firstLoss: Double, lastLoss: Double

        init?(_ text: String) {
            let pattern = #"^\[(\S+) threads=(\d+) (?:fp32|bf16 \([A-Z0-9-]+\))\] params=(\d+) step median ([\d.]+) ms \(min ([\d.]+), max ([\d.]+)\) -> (\d+) tgt tok/s; "#
                + #"fwd ([\d.]+) bwd ([\d.]+) opt ([\d.]+) ms; loss (\S+)->(\S+?);"#
            guard let regex = try? NSRegularExpression(pattern: pattern),
                  let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
            let fields = (1..<match.numberOfRanges).map { String(text[Range(match.range(at: $0), in: text)!]) }
            guard let threads = Int(fields[1]), let parameters = Int(fields[2]) else { return nil }
            let numbers = fields[3...].compactMap(Double.init)
            guard numbers.count == 9 else { return nil }
            (model, self.threads, self.parameters) = (fields[0], threads, parameters)
            (median, minimum, maximum, tokensPerSecond) = (numbers[0], numbers[1], numbers[2], numbers[3])
            (forward, backward, optimizer, firstLoss, lastLoss) = (numbers[4], numbers[5], numbers[6], numbers[7], numbers[8])
        }
    }

    private func bench(_ model: String, _ extra: [String] = []) throws -> Line {
        let run = try AttendProcess.run(["bench", "train", "--model", model] + tiny + extra)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, run.stdout)
        return try XCTUnwrap(Line(String(lines.first ?? "")), "unparsed: \(run.stdout)")
    }

    private func checkLosses(_ line: Line) {
        XCTAssertTrue(line.firstLoss.isFinite && line.lastLoss.isFinite, "\(line)")
        XCTAssertGreaterThan(line.lastLoss, 0)
        // Two Adam updates lie between the first loss and the last; even on uniformly random
        // targets they learn that the special ids never occur (but `</s>`, last in every row).
        XCTAssertLessThan(line.lastLoss, line.firstLoss, "the loss should fall over two updates")
        XCTAssertTrue(line.minimum <= line.median && line.median <= line.maximum, "\(line)")
        XCTAssertGreaterThan(line.tokensPerSecond, 0)
    }

    func testGRUBahdanauHasTheReferenceModelsParameterCount() throws {
        let line = try bench("gru-bahdanau", ["--threads", "1"])
        XCTAssertEqual(line.model, "gru-bahdanau")
        XCTAssertEqual(line.threads, 1)
        // What torch_bench.py counts for --emb 32 --hidden 32 --vocab 50: the same model.
        XCTAssertEqual(line.parameters, 35_218)
        checkLosses(line)
    }

    func testTransformerHasTheReferenceModelsParametersButTheFinalNorms() throws {
        let line = try bench("transformer")
        XCTAssertEqual(line.model, "transformer")
        XCTAssertEqual(line.threads, min(ProcessInfo.processInfo.activeProcessorCount, 8), "the default: every core")
        // torch_bench.py counts 94,066 for --hidden 32 --vocab 50; nn.Transformer adds a
        // LayerNorm (2 · 32) at the end of each stack, which post-norm Attend has not.
        XCTAssertEqual(line.parameters, 94_066 - 2 * 64)
        checkLosses(line)
    }

    /// `--ops` adds a table charging the step's time to the ops that took it: the model's own
    /// ops, each as often per step as the model runs it, and the rows adding up to the step.
    func testOpsTableChargesTheStepToItsOps() throws {
        let run = try AttendProcess.run(["bench", "train", "--model", "gru-bahdanau", "--ops"] + tiny)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let line = try XCTUnwrap(Line(lines.first ?? ""), run.stdout)
        XCTAssertEqual(lines.dropFirst().first?.split(separator: " ").first, "op", run.stdout)
        var rows: [String: (calls: Double, ms: Double, idle: Double)] = [:]
        for text in lines.dropFirst(2) where !text.hasPrefix("(") {
            let fields = text.split(separator: " ")
            let numbers = fields.suffix(3).compactMap { Double($0) }
            if fields.first == "total" {
                XCTAssertEqual(numbers.count, 2, text)
                // Every mark charges the time since the one before: the rows add up to the step.
                XCTAssertEqual(numbers[0], line.median, accuracy: line.maximum - line.minimum + 0.2 * line.median, run.stdout)
                continue
            }
            XCTAssertEqual(numbers.count, 3, text)
            rows[fields.dropLast(3).joined(separator: " ")] = (numbers[0], numbers[1], numbers[2])
        }
        // The decoder reads 5 target positions, an additive score and a GRU cell at each.
        XCTAssertEqual(rows["forward additiveScores"]?.calls, 5, run.stdout)
        XCTAssertEqual(rows["backward additiveScores"]?.calls, 5, run.stdout)
        XCTAssertEqual(rows["forward recurrentLayer"]?.calls, 1, "the encoder, both directions in one op")
        XCTAssertEqual(rows["optimizer (Adam, zeroing)"]?.calls, 1, run.stdout)
        XCTAssertNil(rows["forward lstmCell"], "no op the model does not run")
        XCTAssertTrue(rows.values.allSatisfy { $0.ms >= 0 && $0.idle >= 0 }, run.stdout)
        XCTAssertEqual(try bench("gru-bahdanau").model, "gru-bahdanau", "without --ops, the line alone")
    }

    /// `--products` adds a table of the step's matrix products by shape, each as often per step
    /// as the model makes it, with a rate and a share of the peak; weights come packed.
    func testProductsTableListsTheStepsProductsByShape() throws {
        let run = try AttendProcess.run(["bench", "train", "--model", "transformer", "--products"] + tiny)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let line = try XCTUnwrap(Line(lines.first ?? ""), run.stdout)
        XCTAssertEqual(lines.dropFirst().first?.split(separator: " ").map(String.init),
                       ["product", "kernel", "calls/step", "ms/step", "GFLOP/s", "of", "peak"], run.stdout)
        var rows: [String: (calls: Double, ms: Double)] = [:]
        for text in lines.dropFirst(2) where !text.hasPrefix("(") {
            let fields = text.split(separator: " ").map(String.init)
            let numbers = fields.suffix(5).dropFirst().prefix(3).compactMap { Double($0) }
            XCTAssertEqual(numbers.count, 3, text)
            XCTAssertTrue(numbers[2] > 0 && fields.last?.hasSuffix("%") == true, text)
            rows[fields.dropLast(5).joined(separator: " ")] = (numbers[0], numbers[1])
        }
        // Rows: B·T = 4 × 5 target and 4 × 6 source positions; width 32, vocabulary 50.
        XCTAssertEqual(rows["20 × 50 × 32 Bᵀ packed B"]?.calls, 1, "the output layer, its weight packed: \(run.stdout)")
        XCTAssertEqual(rows["24 × 96 × 32 Bᵀ packed B"]?.calls, 3, "each encoder layer's query, key and value projection")
        XCTAssertEqual(rows["24 × 64 × 32 Bᵀ packed B"]?.calls, 3, "each decoder layer's keys and values of the source, packed too")
        XCTAssertEqual(rows["50 × 32 × 20 Aᵀ"]?.calls, 1, "the output layer's weight gradient")
        // Each call is timed once, within its step.
        XCTAssertLessThanOrEqual(rows.values.map(\.ms).reduce(0, +), line.maximum + 0.05, run.stdout)
    }

    /// `--dropout` puts dropout where the model's `--dropout` does: on a Transformer, its two
    /// embeddings, every sublayer's output and every feed-forward hidden layer.
    func testDropoutOptionDropsWhereTheModelDoes() throws {
        func dropoutCalls(_ extra: [String]) throws -> Double? {
            let run = try AttendProcess.run(["bench", "train", "--model", "transformer", "--ops"] + tiny + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            let row = run.stdout.split(separator: "\n").first { $0.hasPrefix("forward dropout ") }
            return row.flatMap { Double($0.split(separator: " ").dropLast(2).last ?? "") }
        }
        // 2 embeddings + 3 encoder layers × (2 sublayers + 1 hidden) + 3 decoder layers × (3 + 1).
        XCTAssertEqual(try dropoutCalls(["--dropout", "0.1"]), 23)
        XCTAssertNil(try dropoutCalls([]), "no dropout by default, as torch_bench.py")
    }

    func testBadOptionsAreUsageErrors() throws {
        for arguments in [["--model", "lstm"], [], ["--model", "transformer", "--width", "30"], ["--model", "gru-bahdanau", "--vocab", "4"],
                          ["--model", "gru-bahdanau", "--steps", "0"], ["--model", "gru-bahdanau", "--threads", "0"],
                          ["--model", "gru-bahdanau", "--layers", "2"], ["--model", "gru-bahdanau", "--dropout", "1"]] {
            let run = try AttendProcess.run(["bench", "train"] + arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.hasPrefix("error: "), run.stderr)
            XCTAssertTrue(run.stdout.isEmpty, run.stdout)
        }
        let unknown = try AttendProcess.run(["bench", "train", "--model", "lstm"])
        XCTAssertTrue(unknown.stderr.hasPrefix("error: unknown --model 'lstm'"), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("attend bench train --model gru-bahdanau|transformer"), "the usage follows")
    }
}
