import Foundation
import XCTest

/// `attend eval` end to end: runs the built binary and checks its stdout, stderr and exit code.
final class EvalCommandTests: XCTestCase {
    typealias Run = AttendProcess.Run

    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("attend-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes `lines` (each ended by "\n") to a file in the test's folder and returns its path.
    private func file(_ name: String, _ lines: [String]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: url)
        return url.path
    }

    private func attend(_ arguments: [String], input: String? = nil) throws -> Run {
        try AttendProcess.run(arguments, input: input)
    }

    private func translationFiles() throws -> (hyp: String, ref: String) {
        (try file("hyp.txt", ["The cat sat on the mat.", "Hello, world!", "3 2 1"]),
         try file("ref.txt", ["The cat is on the mat.", "Hello world !", "3 2 1"]))
    }

    // MARK: results

    /// sacrebleu 2.6.0 on these files (`-m bleu chrf -w 6`): BLEU 44.973321, "85.7/63.6/37.5/20.0
    /// (BP = 1.000 ratio = 1.077 hyp_len = 14 ref_len = 13)", chrF2 66.498715.
    func testTranslationMetricsLines() throws {
        let (hyp, ref) = try translationFiles()
        let run = try attend(["eval", "--hyp", hyp, "--ref", ref])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "")
        XCTAssertEqual(run.stdout, """
            BLEU = 44.97 (1-4 gram precisions 85.7/63.6/37.5/20.0, BP 1.000, ratio 1.077, hyp 14 ref 13 tokens)
            chrF2 = 66.50
            exact match = 33.3% (1/3)

            """)
    }

    func testTranslationMetricsJSON() throws {
        let (hyp, ref) = try translationFiles()
        let run = try attend(["eval", "--hyp", hyp, "--ref", ref, "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout.filter { $0 == "\n" }.count, 1, "one JSON object on one line")
        XCTAssertTrue(run.stdout.hasPrefix("{\"bleu\":{\"bp\":"), "sorted keys")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["bleu", "chrf", "exact_match"])
        let bleu = try XCTUnwrap(object["bleu"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(bleu["score"] as? Double), 44.973321, accuracy: 1e-4)
        XCTAssertEqual(try XCTUnwrap(bleu["bp"] as? Double), 1)
        XCTAssertEqual(bleu["hyp_len"] as? Int, 14)
        XCTAssertEqual(bleu["ref_len"] as? Int, 13)
        XCTAssertEqual((bleu["matches"] as? [Int])?.count, 4)
        let precisions = try XCTUnwrap(bleu["precisions"] as? [Double])
        XCTAssertEqual(precisions[0], 1200.0 / 14, accuracy: 1e-9)
        let chrF = try XCTUnwrap(object["chrf"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(chrF["score"] as? Double), 66.498715, accuracy: 1e-4)
        XCTAssertEqual(chrF["name"] as? String, "chrF2")
        let exact = try XCTUnwrap(object["exact_match"] as? [String: Any])
        XCTAssertEqual(exact["matches"] as? Int, 1)
        XCTAssertEqual(exact["total"] as? Int, 3)
        XCTAssertEqual(try XCTUnwrap(exact["percent"] as? Double), 100.0 / 3, accuracy: 1e-9)
    }

    func testHypothesisFromStandardInput() throws {
        let (_, ref) = try translationFiles()
        let run = try attend(["eval", "--hyp", "-", "--ref", ref],
                             input: "The cat is on the mat.\nHello world !\n3 2 1\n")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("BLEU = 100.00 "), run.stdout)
        XCTAssertTrue(run.stdout.contains("exact match = 100.0% (3/3)"))
    }

    /// A = {0-0, 1-2, 2-1} + {0-1, 1-0}, S = {0-0, 1-1} + {0-1, 1-0}, P adds 1-2 and 2-2:
    /// |A| = 5, |S| = 4, |A∩S| = 3, |A∩P| = 4 → AER = 1 − 7/9, precision 4/5, recall 3/4;
    /// with P = S: |A∩P| = 3 → AER = 1 − 6/9, precision 3/5.
    func testAlignmentErrorRate() throws {
        let predicted = try file("pred.align", ["0-0 1-2 2-1", "0-1 1-0"])
        let gold = try file("gold.align", ["0-0 1-1", "1-0 0-1"])
        let possible = try file("gold.possible", ["1-2 2-2", ""])
        let run = try attend(["eval", "--alignments", predicted, "--gold", gold, "--possible", possible])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "AER = 0.2222 (precision 0.8000, recall 0.7500, 5 links; gold 4 sure, 6 possible)\n")

        let json = try attend(["eval", "--alignments", predicted, "--gold", gold, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let aer = try XCTUnwrap(object["aer"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(aer["aer"] as? Double), 1 - 6.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(aer["precision"] as? Double), 3.0 / 5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(aer["recall"] as? Double), 3.0 / 4, accuracy: 1e-12)
        XCTAssertEqual(aer["links"] as? Int, 5)
    }

    func testBothKindsAtOnce() throws {
        let (hyp, ref) = try translationFiles()
        let gold = try file("gold.align", ["0-0"])
        let run = try attend(["eval", "--hyp", hyp, "--ref", ref, "--alignments", gold, "--gold", gold])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").map { String($0.prefix(5)) },
                       ["BLEU ", "chrF2", "exact", "AER ="])
    }

    // MARK: failures

    private func assertFailure(_ run: Run, status: Int32, mentions text: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.status, status, run.stderr, file: file, line: line)
        XCTAssertEqual(run.stdout, "", file: file, line: line)
        XCTAssertTrue(run.stderrLines.first?.hasPrefix("error: ") == true, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains(text), run.stderr, file: file, line: line)
        if status == 1 { XCTAssertEqual(run.stderrLines.count, 1, run.stderr, file: file, line: line) }
        if status == 2 { XCTAssertTrue(run.stderr.contains("usage: attend eval"), file: file, line: line) }
    }

    func testMissingFileExitsOne() throws {
        let (hyp, _) = try translationFiles()
        let missing = directory.appendingPathComponent("missing.txt").path
        assertFailure(try attend(["eval", "--hyp", hyp, "--ref", missing]), status: 1, mentions: "no such file: \(missing)")
    }

    func testLineCountMismatchExitsOne() throws {
        let (hyp, _) = try translationFiles()
        let short = try file("short.txt", ["one line"])
        assertFailure(try attend(["eval", "--hyp", hyp, "--ref", short]), status: 1,
                      mentions: "has 3 lines but \(short) has 1")
    }

    func testMalformedAlignmentExitsOne() throws {
        let bad = try file("bad.align", ["0-0 1-1", "0-0 1:1"])
        let gold = try file("gold.align", ["0-0", "0-0"])
        assertFailure(try attend(["eval", "--alignments", bad, "--gold", gold]), status: 1, mentions: "line 2: '1:1'")
    }

    func testInvalidUTF8ExitsOne() throws {
        let url = directory.appendingPathComponent("latin1.txt")
        try Data([0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: url)
        assertFailure(try attend(["eval", "--hyp", url.path, "--ref", url.path]), status: 1, mentions: "UTF-8")
    }

    func testEmptyFilesExitOne() throws {
        let empty = try file("empty.txt", [])
        assertFailure(try attend(["eval", "--hyp", empty, "--ref", empty]), status: 1, mentions: "nothing to score")
    }

    func testMissingModelExitsOne() throws {
        assertFailure(try attend(["eval", "--model", "m.safetensors", "--data", "Data/reverse"]), status: 1,
                      mentions: "m.safetensors")
        assertFailure(try attend(["eval", "--model", "m.safetensors"]), status: 2, mentions: "--data DIR")
    }

    func testUsageErrorsExitTwo() throws {
        let (hyp, ref) = try translationFiles()
        assertFailure(try attend(["eval"]), status: 2, mentions: "nothing to evaluate")
        assertFailure(try attend(["eval", "--hyp", hyp]), status: 2, mentions: "--hyp and --ref")
        assertFailure(try attend(["eval", "--hyp", hyp, "--ref"]), status: 2, mentions: "--ref needs a value")
        assertFailure(try attend(["eval", "--hyp", hyp, "--ref", ref, "--bogus"]), status: 2, mentions: "--bogus")
        assertFailure(try attend(["eval", "--gold", ref]), status: 2, mentions: "--alignments and --gold")
        assertFailure(try attend(["eval", "--src", hyp, "--ref", ref]), status: 2, mentions: "--model")
    }

    func testHelpPrintsUsage() throws {
        let run = try attend(["eval", "--help"])
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.stdout.hasPrefix("usage: attend eval --hyp FILE --ref FILE"))
    }
}
