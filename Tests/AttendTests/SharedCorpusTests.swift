import Foundation
import XCTest

/// The real corpus beside the project, `../shared/data/tatoeba-en-fr`, through the binary with
/// `--src-ext en --tgt-ext fr`. A user's clone has no `../shared`: then the test is skipped, and says so.
final class SharedCorpusTests: XCTestCase {
    private static let tatoeba = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()  // the package
        .appendingPathComponent("../shared/data/tatoeba-en-fr").standardizedFileURL

    func testTrainsAndTranslatesTatoebaEnglishFrench() throws {
        let folder = Self.tatoeba
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("train.en").path) else {
            throw XCTSkip("SKIPPED: no shared corpus at \(folder.path) (it sits beside the project only on the team's machines)")
        }
        let corpus = try TinyReverseCorpus()
        defer { corpus.remove() }
        let train = try corpus.attend(["train", "--data", folder.path, "--src-ext", "en", "--tgt-ext", "fr", "--max-steps", "3",
                                       "--embed-dim", "16", "--hidden-dim", "16", "--out", "run"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("9318 training pairs, 590 dev pairs"), train.stderr)
        let translated = try corpus.attend(["translate", "--model", "run/best.safetensors"], input: "i am calm .\n")
        XCTAssertEqual(translated.status, 0, translated.stderr)
        XCTAssertEqual(translated.stdout.filter { $0 == "\n" }.count, 1)
    }
}
