import Foundation
import Seq2Seq
import XCTest

/// Byte-pair encoding: learning on a worked example, segmenting, joining back, the codes file.
final class BPETests: XCTestCase {
    /// Sennrich et al. (2016)'s example vocabulary (§3.2): low ×5, lower ×2, newest ×6, widest ×3.
    private let example = ["low": 5, "lower": 2, "newest": 6, "widest": 3]

    /// Worked by hand, `</w>` on the last character: `e s` and `s t</w>` both occur 9 times (the
    /// tie goes to `e` < `s`); then `es t</w>` 9, `l o` 7; `n e`, `e w` and `w est</w>` tie at 6
    /// (`e w` first), which leaves `n ew` and `ew est</w>` tied at 6 (`ew` < `n`); then
    /// `n ewest</w>` 6, `lo w</w>` 5; and `d est</w>`, `i d`, `w i` tie at 3.
    func testLearnsTheWorkedExampleInOrder() {
        var learner = BPELearner(wordCounts: example)
        let codes = learner.learn(merges: 8)
        XCTAssertEqual(codes.merges.map { "\($0.left) \($0.right)" },
                       ["e s", "es t</w>", "l o", "e w", "ew est</w>", "n ewest</w>", "lo w</w>", "d est</w>"])
    }

    func testStopsWhenNoPairOccursTwice() {
        var learner = BPELearner(wordCounts: ["ab": 1, "cd": 1])
        XCTAssertEqual(learner.learn(merges: 10).merges.count, 0)
        // `a b`, `b a` and `a b</w>` all occur 3 times: `a b` is first in byte order ("b" < "b</w>").
        var tied = BPELearner(wordCounts: ["abab": 3])
        XCTAssertEqual(tied.learn(merges: 1).merges, [BPECodes.Merge("a", "b")])
    }

    func testSegmentsWithTheLowestRankedMergeFirst() {
        var learner = BPELearner(wordCounts: example)
        let codes = learner.learn(merges: 7)
        XCTAssertEqual(codes.segment(word: "lowest"), ["lo@@", "w@@", "est"])
        XCTAssertEqual(codes.segment(word: "newest"), ["newest"])
        XCTAssertEqual(codes.segment(word: "low"), ["low"])
        XCTAssertEqual(codes.segment(word: "lower"), ["lo@@", "w@@", "e@@", "r"])
        XCTAssertEqual(codes.segment(word: "x"), ["x"])
        XCTAssertEqual(BPECodes.join(["lo@@", "w@@", "est", "low"]), ["lowest", "low"])
        XCTAssertEqual(BPECodes.wordIndices(["lo@@", "w@@", "est", "low", "</s>"]), [0, 0, 0, 1, 2])
    }

    func testCodesFileRoundTrips() throws {
        var learner = BPELearner(wordCounts: example)
        let codes = learner.learn(merges: 7)
        XCTAssertTrue(codes.text.hasPrefix("#version: 0.2\ne s\nes t</w>\n"))
        XCTAssertEqual(try BPECodes(text: codes.text), codes)
        XCTAssertThrowsError(try BPECodes(text: "#version: 0.2\na b c\n", name: "x.codes")) { error in
            XCTAssertEqual("\(error)", "x.codes:2 is not a merge ('left right')")
        }
    }

    /// Apply then undo gives every line back: the shipped corpora with merges learned from them,
    /// and text in other scripts (combining accents, CJK, emoji with modifiers, odd spacing).
    func testApplyThenUndoIsTheIdentity() throws {
        let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Data")
        let files = try FileManager.default.subpathsOfDirectory(atPath: data.path)
            .filter { $0.hasSuffix(".src") || $0.hasSuffix(".tgt") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 24)
        let unicode = ["Grüße aus Köln , naïve café", "e\u{301}te\u{301} à l'ho\u{302}tel", "東京 に 行き ます 。",
                       "👍🏽 👩‍👩‍👧 done !", "  two  spaces\tand a tab ", "Ελληνικά και русский текст", "", "a"]
        var lines = unicode
        for file in files { lines += try TextLines.read(path: data.appendingPathComponent(file).path) }
        var learner = BPELearner(wordCounts: BPELearner.wordCounts(lines))
        let codes = learner.learn(merges: 300)
        XCTAssertEqual(codes.merges.count, 300)
        var cache = [Substring: String](), segmentedSomething = false
        for line in lines {
            let segmented = codes.segment(line: line, cache: &cache)
            segmentedSomething = segmentedSomething || segmented.contains("@@ ")
            XCTAssertEqual(BPECodes.join(line: segmented), line)
        }
        XCTAssertTrue(segmentedSomething, "some words were split, so the round trip was tested")
        XCTAssertEqual(codes.segment(line: "👍🏽", cache: &cache), "👍🏽", "a grapheme cluster is one symbol")
    }

    /// A word's row is the mean of its pieces' rows, its column the sum of its pieces' columns.
    func testAttentionOverPiecesIsReadAsAttentionOverWords() throws {
        let pieces = try AttentionMatrix(sourceTokens: ["lo@@", "wer", "a", "</s>"], targetTokens: ["x@@", "y", "z", "</s>"],
                                         rows: [[0.5, 0.25, 0.25, 0], [0.1, 0.1, 0.8, 0], [0, 0, 0.4, 0.6], [0, 0, 0, 1]])
        let words = try pieces.joiningSubwords()
        XCTAssertEqual(words.sourceTokens, ["lower", "a", "</s>"])
        XCTAssertEqual(words.targetTokens, ["xy", "z", "</s>"])
        let expected: [Float] = [0.475, 0.525, 0, 0, 0.4, 0.6, 0, 0, 1]
        for (value, wanted) in zip(words.weights, expected) { XCTAssertEqual(value, wanted, accuracy: 1e-6) }
    }

    func testACheckpointKeepsItsSubwords() throws {
        var learner = BPELearner(wordCounts: example)
        let source = learner.learn(merges: 5)
        let subwords = Subwords(source: source, target: BPECodes(merges: [.init("a", "b")]))
        var checkpoint = Checkpoint(parameters: [], configuration: "{}", sourceVocabulary: ["<pad>"], targetVocabulary: ["<pad>"])
        XCTAssertNil(try Checkpoint(checkpoint.safeTensorsFile()).subwords, "a word-level checkpoint has none")
        checkpoint.subwords = subwords
        let file = try checkpoint.safeTensorsFile()
        XCTAssertEqual(file.metadata[Checkpoint.Key.sourceSubwords], source.text)
        XCTAssertEqual(try Checkpoint(SafeTensorsFile(data: file.data())).subwords, subwords)
    }

    func testJointOrSeparateMergesForTheTwoSides() {
        let sources = [["aaa", "aaa"], ["aaa"]], targets = [["bcbc"], ["bcbc"]]
        let joint = Subwords.learn(merges: 1, sources: sources, targets: targets, separate: false)
        XCTAssertEqual(joint.source, joint.target)
        XCTAssertEqual(joint.source.merges, [BPECodes.Merge("a", "a")], "`a a` occurs 3 times, `b c` twice")
        let separate = Subwords.learn(merges: 1, sources: sources, targets: targets, separate: true)
        XCTAssertEqual(separate.source.merges, [BPECodes.Merge("a", "a")])
        XCTAssertEqual(separate.target.merges, [BPECodes.Merge("b", "c")])
        let segmented = separate.segment(ParallelCorpus(sources: [["aaa"]], targets: [["bcbc"]]))
        XCTAssertEqual(segmented.sources, [["aa@@", "a"]])
        XCTAssertEqual(segmented.targets, [["bc@@", "b@@", "c"]])
    }
}
