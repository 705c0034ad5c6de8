import XCTest
import Seq2Seq

final class CHRFTests: XCTestCase {
    func testMatchesSacreBLEUOnEveryCase() throws {
        for testCase in sacreBLEUCases {
            let score = try CHRF.corpusScore(hypotheses: testCase.hypotheses, references: testCase.references)
            XCTAssertEqual(score.score, testCase.chrF, accuracy: 1e-4, testCase.name)
        }
        XCTAssertEqual(try CHRF.corpusScore(hypotheses: ["a"], references: ["a"]).name, "chrF2")
    }

    /// "ab" against "abc": 1-grams P = 2/2, R = 2/3; 2-grams P = 1/1, R = 1/2; orders 3–6 have
    /// no hypothesis n-gram, so the effective order is 2: chrP = 1, chrR = 7/12,
    /// chrF2 = 5 · chrP · chrR / (4 · chrP + chrR) = 35/55.
    func testHandWorkedEffectiveOrder() throws {
        let score = try CHRF.corpusScore(hypotheses: ["ab"], references: ["abc"])
        XCTAssertEqual(score.precision, 1, accuracy: 1e-12)
        XCTAssertEqual(score.recall, 7.0 / 12, accuracy: 1e-12)
        XCTAssertEqual(score.score, 100 * 35.0 / 55, accuracy: 1e-9)
    }

    /// Statistics are summed over the corpus before the F-score, so two segments are not the
    /// mean of their scores.
    func testCorpusLevelSummation() throws {
        let corpus = try CHRF.corpusScore(hypotheses: ["abcdef", "xy"], references: ["abcdef", "xz"]).score
        let first = try CHRF.corpusScore(hypotheses: ["abcdef"], references: ["abcdef"]).score
        let second = try CHRF.corpusScore(hypotheses: ["xy"], references: ["xz"]).score
        XCTAssertNotEqual(corpus, (first + second) / 2, accuracy: 1)
        var statistics = CHRF.statistics(hypothesis: "abcdef", reference: "abcdef")
        statistics += CHRF.statistics(hypothesis: "xy", reference: "xz")
        XCTAssertEqual(CHRF.score(statistics).score, corpus, accuracy: 1e-12)
    }

    func testSegmentCountMismatchIsAnError() {
        XCTAssertThrowsError(try CHRF.corpusScore(hypotheses: [], references: ["a"]))
    }
}
