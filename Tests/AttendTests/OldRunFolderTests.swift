import Foundation
import XCTest

/// A run folder whose `run.json` was written before the architecture registry (the model as
/// `"model": {RNN configuration}` plus, for a Transformer, `"transformer": {…}`) still resumes.
final class OldRunFolderTests: XCTestCase {
    private var corpus: TinyReverseCorpus!

    override func setUpWithError() throws { corpus = try TinyReverseCorpus() }
    override func tearDownWithError() throws { corpus.remove() }

    /// Rewrites `run/run.json` in the old layout.
    private func makeOld(_ run: String, transformer: Bool) throws {
        let url = corpus.directory.appendingPathComponent(run + "/run.json")
        var settings = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let model = try XCTUnwrap(settings["model"] as? [String: Any])
        var configuration = try XCTUnwrap(model["config"] as? [String: Any])
        if transformer {
            settings["transformer"] = configuration
            configuration = ["attention": "bahdanau", "bidirectional": true, "cell": "gru", "dropout": 0, "embeddingWidth": 64,
                             "hiddenWidth": 128, "inputFeeding": true, "layers": 1, "window": 10,
                             "sourceVocabularySize": configuration["sourceVocabularySize"] ?? 0,
                             "targetVocabularySize": configuration["targetVocabularySize"] ?? 0]
        }
        settings["model"] = configuration
        try JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys]).write(to: url)
    }

    func testOldRunFoldersResume() throws {
        for (run, transformer) in [("rnn", false), ("transformer", true)] {
            let model = transformer ? ["--arch", "transformer", "--model-dim", "16", "--heads", "2", "--ff-dim", "32"]
                : ["--embed-dim", "8", "--hidden-dim", "8", "--attention", "luong-general"]
            let first = try corpus.attend(["train", "--data", "data", "--max-steps", "3", "--batch-size", "8", "--out", run] + model)
            XCTAssertEqual(first.status, 0, first.stderr)
            try makeOld(run, transformer: transformer)
            let resumed = try corpus.attend(["train", "--resume", run, "--max-steps", "6"])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertTrue(resumed.stderr.contains(transformer ? "attend: transformer, " : "attend: gru + luong-general, "), resumed.stderr)
            XCTAssertTrue(try corpus.text(run + "/run.json").contains("\"arch\" : \"\(run)\""), "written back in the current layout")
            XCTAssertEqual(try corpus.text(run + "/metrics.csv").split(separator: "\n").count, 1 + 6)
        }
    }
}
