import Foundation
import XCTest

/// `attend bpe` and `attend train --bpe` through the built binary: the merges go into the
/// checkpoint, and `translate`, `align` and `eval` take and give words.
final class SubwordCommandTests: XCTestCase {
    private var corpus: TinyReverseCorpus!

    override func setUpWithError() throws { corpus = try TinyReverseCorpus() }
    override func tearDownWithError() throws { corpus.remove() }

    /// Words that split into pieces: `ka`, `kaki`, … over a few syllables, reversed on the target side.
    private func writeSyllableCorpus() throws {
        let words = ["ka", "ki", "kaki", "kiki", "kaka", "kika", "mo", "moka"]
        var state: UInt64 = 11
        func next(_ n: Int) -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) % n }
        for (split, count) in [("train", 200), ("dev", 8)] {
            let sentences = (0..<count).map { _ in (0..<(2 + next(3))).map { _ in words[next(words.count)] } }
            try corpus.write(split + ".src", sentences.map { $0.joined(separator: " ") })
            try corpus.write(split + ".tgt", sentences.map { $0.reversed().joined(separator: " ") })
        }
    }

    func testLearnApplyUndo() throws {
        try writeSyllableCorpus()
        let learn = try corpus.attend(["bpe", "learn", "--input", "data/train.src", "data/train.tgt", "--merges", "3", "--out", "codes"])
        XCTAssertEqual(learn.status, 0, learn.stderr)
        XCTAssertTrue(learn.stderr.contains("learned 3 merges"), learn.stderr)
        XCTAssertEqual(try corpus.text("codes").split(separator: "\n").count, 4, "the version line and 3 merges")
        let applied = try corpus.attend(["bpe", "apply", "--codes", "codes"], input: "kaki moka\nkiki  ka\n")
        XCTAssertEqual(applied.status, 0, applied.stderr)
        XCTAssertTrue(applied.stdout.contains("@@ "), applied.stdout)
        let undone = try corpus.attend(["bpe", "undo"], input: applied.stdout)
        XCTAssertEqual(undone.stdout, "kaki moka\nkiki  ka\n")
        let missing = try corpus.attend(["bpe", "apply"], input: "x\n")
        XCTAssertEqual(missing.status, 2)
    }

    func testTrainOnSubwordsThenTranslateAlignAndEvalInWords() throws {
        try writeSyllableCorpus()
        let train = try corpus.attend(["train", "--data", "data", "--bpe", "4", "--epochs", "50", "--best-metric", "loss",
                                       "--embed-dim", "24", "--hidden-dim", "48", "--batch-size", "16", "--lr", "0.01",
                                       "--threads", "1", "--out", "run"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("threads: 1"), train.stderr)
        XCTAssertTrue(train.stderr.contains("subwords: 4 joint merges"), train.stderr)
        let header = try safeTensorsMetadata(corpus.directory.appendingPathComponent("run/best.safetensors"))
        XCTAssertEqual(header["attend.source_bpe"]?.split(separator: "\n").count, 5)
        let targetVocabulary = header["attend.target_vocab"] ?? ""
        XCTAssertTrue(targetVocabulary.contains("@@"), "the model's vocabulary holds pieces: \(targetVocabulary)")

        let translated = try corpus.attend(["translate", "--model", "run/best.safetensors", "--threads", "2"], input: "kaki moka\nkiki ka mo\n")
        XCTAssertEqual(translated.status, 0, translated.stderr)
        XCTAssertFalse(translated.stdout.contains("@@"), translated.stdout)
        XCTAssertEqual(translated.stdout, "moka kaki\nmo ka kiki\n", "plain words in, plain words out")

        let align = try corpus.attend(["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt",
                                       "--format", "long", "--out", "-"])
        XCTAssertEqual(align.status, 0, align.stderr)
        let firstSource = try corpus.text("data/dev.src").split(separator: "\n")[0].split(separator: " ").map(String.init)
        let firstRows = align.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }.filter { $0[0] == "1" }
        XCTAssertEqual(Set(firstRows.map { $0[4] }), Set(firstSource + ["</s>"]), "columns are words")
        var sums = [String: Double]()
        for row in firstRows { sums[row[1], default: 0] += Double(row[5]) ?? .nan }
        for (row, sum) in sums { XCTAssertEqual(sum, 1, accuracy: 1e-4, "row \(row)") }
        let pieces = try corpus.attend(["align", "--model", "run/best.safetensors", "--src", "data/dev.src", "--tgt", "data/dev.tgt",
                                        "--format", "long", "--out", "-", "--subwords"])
        XCTAssertEqual(pieces.status, 0, pieces.stderr)
        XCTAssertTrue(pieces.stdout.contains("@@"), "--subwords shows the pieces")

        let evaluation = try corpus.attend(["eval", "--model", "run/best.safetensors", "--src", "data/dev.src", "--ref", "data/dev.tgt"])
        XCTAssertEqual(evaluation.status, 0, evaluation.stderr)
        XCTAssertTrue(evaluation.stdout.contains("exact match"), evaluation.stdout)
        let noThreads = try corpus.attend(["eval", "--model", "run/best.safetensors", "--src", "data/dev.src", "--ref", "data/dev.tgt", "--threads", "0"])
        XCTAssertEqual(noThreads.status, 2, noThreads.stderr)

        let resumed = try corpus.attend(["train", "--resume", "run", "--epochs", "52"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("subwords: 4 joint merges"), "the run's own merges: \(resumed.stderr)")
    }

    /// Gold links name words: guided alignment on subwords is refused before anything is written.
    func testGuidedAlignmentWithSubwordsIsAUsageError() throws {
        try writeSyllableCorpus()
        try corpus.write("train.align", Array(repeating: "0-0", count: 200))
        let run = try corpus.attend(["train", "--data", "data", "--bpe", "4", "--guided-alignment", "--epochs", "1", "--out", "guided"])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("error: --guided-alignment reads word links"), run.stderr)
        XCTAssertFalse(corpus.exists("guided/last.safetensors"))
    }

    /// The `__metadata__` of a safetensors file.
    private func safeTensorsMetadata(_ url: URL) throws -> [String: String] {
        let data = try Data(contentsOf: url)
        let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
        return try XCTUnwrap(header["__metadata__"] as? [String: String])
    }
}
