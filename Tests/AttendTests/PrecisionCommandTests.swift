import Autograd
import Foundation
import XCTest

/// `--precision` and `ATTEND_ISA` through the built binary: `train` names its choice first and
/// records it, a checkpoint runs in the other precision, and paths a CPU lacks are one clear error.
final class PrecisionCommandTests: XCTestCase {
    private var corpus: TinyReverseCorpus!
    private let model = ["--embed-dim", "16", "--hidden-dim", "32", "--batch-size", "8", "--seed", "3",
                         "--max-steps", "30", "--valid-every", "30"]

    override func setUpWithError() throws { corpus = try TinyReverseCorpus() }
    override func tearDownWithError() throws { corpus.remove() }

    func testTrainNamesAndRecordsItsPrecisionAndTheOtherRunsTheCheckpoint() throws {
        let bf16 = MatrixPath.bestBF16
        let (trained, other) = bf16.map { ($0, MatrixPath.fp32) } ?? (.fp32, .fp32)
        let precision = trained.isBF16 ? "bf16" : "fp32"
        let train = try corpus.attend(["train", "--data", "data", "--out", "run", "--precision", precision] + model)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertEqual(train.stderrLines.first, "attend: precision: \(trained.label)")
        let checkpoint = try Data(contentsOf: corpus.directory.appendingPathComponent("run/last.safetensors"))
        XCTAssertTrue(String(decoding: checkpoint.prefix(4096), as: UTF8.self).contains(#"\"matrix_path\":\"\#(trained.rawValue)\""#),
                      "the checkpoint's training state records the kernels")

        let input = "w1 w2 w3\nw4 w5 w6\n"
        let same = try corpus.attend(["translate", "--model", "run/best.safetensors", "--precision", precision], input: input)
        let crossed = try corpus.attend(["translate", "--model", "run/best.safetensors",
                                         "--precision", other.isBF16 ? "bf16" : "fp32"], input: input)
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertEqual(crossed.status, 0, crossed.stderr)
        XCTAssertEqual(crossed.stdout.split(separator: "\n").count, 2)

        let resumed = try corpus.attend(["train", "--resume", "run", "--max-steps", "40", "--precision", "fp32"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(resumed.stderrLines.first, "attend: precision: fp32")
        if trained.isBF16 {
            XCTAssertTrue(resumed.stderr.contains("this run trained in \(trained.label) until step 30; it continues in fp32"),
                          resumed.stderr)
        }
    }

    /// `--cold` times calls whose operands were pushed out of the caches; the result is still checked.
    func testBenchGEMMColdNamesItselfAndChecksTheProduct() throws {
        let run = try corpus.attend(["bench", "gemm", "--m", "40", "--n", "33", "--k", "20", "--repeat", "2", "--cold",
                                     "--transpose-a", "--precision", "fp32"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("m=40 n=33 k=20 transpose-a cold threads="), run.stdout)
        XCTAssertTrue(run.stdout.contains("(best of 2,"), run.stdout)
        XCTAssertTrue(run.stdout.contains("vs naive loop: ok"), run.stdout)
    }

    func testPathsThisCPULacksAndBadValuesAreOneLineErrors() throws {
        let bad = try corpus.attend(["translate", "--model", "x.safetensors", "--precision", "fp16"], input: "")
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.hasPrefix("error: --precision must be"), bad.stderr)

        let unknown = try corpus.attend(["bench", "gemm", "--m", "8", "--n", "8", "--k", "8"], environment: ["ATTEND_ISA": "sse"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.stderrLines, ["error: ATTEND_ISA=sse is not one of fp32, avx512bf16, amx"])

        for path in MatrixPath.allCases {
            let run = try corpus.attend(["bench", "gemm", "--m", "40", "--n", "40", "--k", "40", "--repeat", "1"],
                                        environment: ["ATTEND_ISA": path.rawValue])
            if path.isAvailable {
                XCTAssertEqual(run.status, 0, run.stderr)
                XCTAssertTrue(run.stdout.contains(path.label), run.stdout)
            } else {
                XCTAssertEqual(run.status, 1)
                XCTAssertTrue(run.stderr.hasPrefix("error: ATTEND_ISA=\(path.rawValue): this CPU has no"), run.stderr)
            }
        }
        if MatrixPath.bestBF16 == nil {
            let refused = try corpus.attend(["bench", "gemm", "--m", "8", "--n", "8", "--k", "8", "--precision", "bf16"])
            XCTAssertEqual(refused.status, 1)
            XCTAssertTrue(refused.stderr.contains("needs AMX-BF16 or AVX512-BF16"), refused.stderr)
        }
    }
}
