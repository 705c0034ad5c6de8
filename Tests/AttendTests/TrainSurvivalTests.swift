import Foundation
import XCTest

/// What users do to a training run: Ctrl-C, SIGTERM, a second run on the same folder, a disk
/// that fills up, blank corpora, sentences too long for a Transformer's positions, a mistyped
/// option. Each through the built binary, with real signals to a real process.
final class TrainSurvivalTests: XCTestCase {
    private var corpus: TinyReverseCorpus!
    private let small = ["--hidden-dim", "16", "--embed-dim", "8", "--probes", "0"]

    override func setUpWithError() throws { corpus = try TinyReverseCorpus() }
    override func tearDown() { corpus.remove() }

    private func url(_ path: String) -> URL { corpus.directory.appendingPathComponent(path) }

    /// A run of 504 steps an epoch (the training pairs 42 times over) that would go on for a
    /// long time: a signal reaches it between validations, even in a fast release build.
    private func longRun(_ extra: [String] = []) throws -> RunningAttend {
        for side in ["src", "tgt"] {
            let lines = try corpus.text("data/train.\(side)").split(separator: "\n").map(String.init)
            try corpus.write("train.\(side)", Array(repeating: lines, count: 42).flatMap { $0 })
        }
        return try RunningAttend(["train", "--data", "data", "--out", "run", "--epochs", "100000", "--batch-size", "4"] + small + extra,
                          in: corpus.directory)
    }

    private func waitForSteps(_ count: Int) -> Bool {
        RunningAttend.wait(timeout: 120) { dataRows(url("run/metrics.csv")).count >= count }
    }

    private func temporaries(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url(path).path)) ?? []).filter { $0.contains(".tmp-") }
    }

    private func stopsCleanly(on signal: Int32, status: Int32) throws {
        let run = try longRun()
        XCTAssertTrue(waitForSteps(3), "training started")
        run.send(signal)
        let result = run.finish()
        XCTAssertFalse(result.signalled, "the signal did not kill it: \(result.stderr)")
        XCTAssertEqual(result.status, status, result.stderr)
        XCTAssertTrue(result.stderr.contains("continue with: attend train --resume run"), result.stderr)
        // Mid-epoch, before any validation: `last` is the step it stopped at, the last one logged.
        let logged = try XCTUnwrap(dataRows(url("run/metrics.csv")).last?.split(separator: ",").first.flatMap { Int($0) })
        XCTAssertLessThan(logged, 504, "stopped before the first validation")
        XCTAssertEqual(checkpointStep(url("run/last.safetensors")), logged)
        XCTAssertEqual(temporaries("run"), [])
        let resumed = try corpus.attend(["train", "--resume", "run", "--max-steps", "\(logged + 2)"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(checkpointStep(url("run/last.safetensors")), logged + 2)
    }

    func testSIGINTFinishesTheStepSavesLastAndExits130() throws { try stopsCleanly(on: SIGINT, status: 130) }

    func testSIGTERMFinishesTheStepSavesLastAndExits143() throws { try stopsCleanly(on: SIGTERM, status: 143) }

    func testASecondSIGINTStopsAtOnce() throws {
        // Steps long enough (about 0.1 s) that the second signal, sent within the 50 ms the
        // test polls, lands inside the step the first one lets finish.
        let run = try RunningAttend(["train", "--data", "data", "--out", "run", "--epochs", "100000",
                                     "--hidden-dim", "1024", "--embed-dim", "512"], in: corpus.directory)
        XCTAssertTrue(waitForSteps(1))
        run.send(SIGINT)
        // Two signals sent together may arrive as one: the second goes once the first is taken.
        XCTAssertTrue(RunningAttend.wait(timeout: 60) { run.stderrSoFar.contains("press Ctrl-C again") })
        run.send(SIGINT)
        let result = run.finish()
        XCTAssertEqual(result.status, 130, result.stderr)
        XCTAssertTrue(result.stderr.contains("attend: stopped at once"), result.stderr)
        XCTAssertFalse(result.stderr.contains("continue with"), "it did not wait to save: \(result.stderr)")
    }

    func testASecondTrainOnTheSameRunIsRefusedAndAKilledRunLeavesNoLock() throws {
        let first = try RunningAttend(["train", "--data", "data", "--out", "run", "--epochs", "100000"] + small, in: corpus.directory)
        XCTAssertTrue(RunningAttend.wait(timeout: 120) { FileManager.default.fileExists(atPath: url("run/last.safetensors").path) })
        // Bounded, so that a broken lock shows as a run that went ahead rather than one that never ends.
        for arguments in [["train", "--data", "data", "--out", "run", "--time-limit", "2"] + small, ["train", "--resume", "run", "--time-limit", "2"]] {
            let second = try corpus.attend(arguments)
            XCTAssertEqual(second.status, 1, second.stderr)
            XCTAssertTrue(second.stderr.hasPrefix("error: run is in use by another attend train (process \(first.pid))"), second.stderr)
        }
        let report = try corpus.attend(["report", "run"])
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(try corpus.text("run/report.html").contains("Training in progress"))
        first.send(SIGKILL)
        XCTAssertTrue(first.finish().signalled)
        let resumed = try corpus.attend(["train", "--resume", "run", "--max-steps", "\(checkpointStep(url("run/last.safetensors"))! + 1)"])
        XCTAssertEqual(resumed.status, 0, "the kernel released the dead run's lock: \(resumed.stderr)")
    }

    /// A disk that fills up while saving, made with a file-size limit (`ulimit -f`; the write
    /// fails with EFBIG as it would with ENOSPC): the run stops with one clear line, and the
    /// checkpoints it had are untouched.
    func testAFailedSaveKeepsTheCheckpointsAndLeavesNoTemporaryFile() throws {
        let first = try corpus.attend(["train", "--data", "data", "--out", "run", "--epochs", "1"] + small)
        XCTAssertEqual(first.status, 0, first.stderr)
        let before = try ["last", "best"].map { try Data(contentsOf: url("run/\($0).safetensors")) }
        XCTAssertGreaterThan(before[0].count, 16 * 1024, "bigger than the limit below")
        let limited = try RunningAttend(["train", "--resume", "run", "--epochs", "3"], in: corpus.directory,
                                        shellPrefix: "trap '' XFSZ; ulimit -f 16")
        let result = limited.finish()
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("error: cannot write run/last.safetensors: write failed: File too large"), result.stderr)
        XCTAssertTrue(result.stderr.contains("the checkpoints already in run are intact"), result.stderr)
        XCTAssertEqual(try ["last", "best"].map { try Data(contentsOf: url("run/\($0).safetensors")) }, before)
        XCTAssertEqual(temporaries("run"), [])
    }

    func testABlankCorpusIsAnError() throws {
        try corpus.write("train.src", Array(repeating: " ", count: 48))
        let run = try corpus.attend(["train", "--data", "data", "--out", "run"] + small)
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderrLines, ["error: every line of data/train.src is blank: it holds no sentences"])
    }

    func testAnUnknownOptionBeforeTheCommandIsAnError() throws {
        let run = try AttendProcess.run(["--bogus"])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderrLines.first, "error: unknown option '--bogus': a command comes first")
    }

    /// Sentences of 3–5 words against 5 positions (4 words with `</s>` or `<s>`).
    func testLinesLongerThanATransformersPositionsAreSkippedInTrainingAndRefusedElsewhere() throws {
        let train = try corpus.attend(["train", "--data", "data", "--out", "run", "--arch", "transformer", "--max-positions", "5",
                                       "--layers", "1", "--model-dim", "16", "--ff-dim", "16", "--heads", "2", "--epochs", "1"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let lengths = try corpus.text("data/train.src").split(separator: "\n").map { $0.split(separator: " ").count }
        XCTAssertTrue(train.stderr.contains("attend: skipped \(lengths.filter { $0 > 4 }.count) of 48 training pairs longer than 4 tokens"), train.stderr)
        let translate = try corpus.attend(["translate", "--model", "run/best.safetensors"], input: "w1 w2\nw1 w2 w3 w4 w5\n")
        XCTAssertEqual(translate.status, 1)
        XCTAssertEqual(translate.stderrLines, ["error: standard input:2 has 5 tokens, but this model reads at most 4 (--max-positions 5, with </s> or <s>)"])
        try corpus.write("long.src", ["w1 w2 w3 w4 w5 w6"])
        try corpus.write("long.tgt", ["w1"])
        let align = try corpus.attend(["align", "--model", "run/best.safetensors", "--src", "data/long.src", "--tgt", "data/long.tgt", "--out", "a"])
        XCTAssertEqual(align.status, 1)
        XCTAssertTrue(align.stderr.hasPrefix("error: data/long.src:1 has 6 tokens"), align.stderr)
    }
}
