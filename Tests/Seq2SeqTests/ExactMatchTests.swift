import XCTest
import Seq2Seq

final class ExactMatchTests: XCTestCase {
    func testCountsWholeSequenceMatches() throws {
        let score = try ExactMatch.corpusScore(
            hypotheses: ["3 2 1", "a  b\t", "x y", "", "Cat"],
            references: ["3 2 1", "a b", "x z", "", "cat"])
        XCTAssertEqual(score.matches, 3)
        XCTAssertEqual(score.total, 5)
        XCTAssertEqual(score.percent, 60, accuracy: 1e-12)
    }

    func testPrefixIsNotAMatch() {
        XCTAssertFalse(ExactMatch.isMatch("1 2", "1 2 3"))
        XCTAssertFalse(ExactMatch.isMatch("1 2 3", "1 2"))
        XCTAssertTrue(ExactMatch.isMatch(" 1 2 ", "1\u{A0}2"))
    }

    func testEmptyCorpusAndMismatch() throws {
        XCTAssertEqual(try ExactMatch.corpusScore(hypotheses: [], references: []).percent, 0)
        XCTAssertThrowsError(try ExactMatch.corpusScore(hypotheses: ["a"], references: []))
    }
}
