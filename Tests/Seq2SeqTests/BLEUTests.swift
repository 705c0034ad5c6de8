import XCTest
import Seq2Seq

final class BLEUTests: XCTestCase {
    func testMatchesSacreBLEUOnEveryCase() throws {
        for testCase in sacreBLEUCases {
            let score = try BLEU.corpusScore(hypotheses: testCase.hypotheses, references: testCase.references)
            XCTAssertEqual(score.score, testCase.bleu, accuracy: 1e-4, testCase.name)
        }
    }

    /// sacrebleu's verbose line: 81.8/55.6/28.6/20.0 (BP = 1.000 ratio = 1.100 hyp_len = 11 ref_len = 10).
    func testDetailsMatchSacreBLEU() throws {
        let score = try BLEU.corpusScore(
            hypotheses: ["The cat sat on the mat.", "Hello, world!"],
            references: ["The cat is on the mat.", "Hello world !"])
        XCTAssertEqual(score.statistics.hypothesisLength, 11)
        XCTAssertEqual(score.statistics.referenceLength, 10)
        XCTAssertEqual(score.statistics.matches, [9, 5, 2, 1])
        XCTAssertEqual(score.statistics.totals, [11, 9, 7, 5])
        XCTAssertEqual(score.brevityPenalty, 1)
        XCTAssertEqual(score.lengthRatio, 1.1, accuracy: 1e-12)
        for (precision, expected) in zip(score.precisions, [900 / 11, 500 / 9, 200 / 7, 20] as [Double]) {
            XCTAssertEqual(precision, expected, accuracy: 1e-9)
        }
    }

    /// 75.0/33.3/25.0/25.0 (BP = 0.779): zero 3- and 4-gram matches become 100/(2·2) and 100/(4·1).
    func testExpSmoothingAndBrevityPenalty() throws {
        let score = try BLEU.corpusScore(hypotheses: ["the quick brown fox"], references: ["the quick red fox jumps"])
        XCTAssertEqual(score.statistics.matches, [3, 1, 0, 0])
        XCTAssertEqual(score.precisions[0], 75, accuracy: 1e-9)
        XCTAssertEqual(score.precisions[1], 100.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(score.precisions[2], 25, accuracy: 1e-9)
        XCTAssertEqual(score.precisions[3], 25, accuracy: 1e-9)
        XCTAssertEqual(score.brevityPenalty, exp(1 - 5.0 / 4), accuracy: 1e-12)
        let expected = exp(1 - 5.0 / 4) * pow(75 * (100.0 / 3) * 25 * 25, 0.25)
        XCTAssertEqual(score.score, expected, accuracy: 1e-9)
    }

    func testEmptyHypothesisHasZeroBrevityPenalty() throws {
        let score = try BLEU.corpusScore(hypotheses: [""], references: ["a b c"])
        XCTAssertEqual(score.score, 0)
        XCTAssertEqual(score.brevityPenalty, 0)
        XCTAssertEqual(score.precisions, [0, 0, 0, 0])
    }

    func testStatisticsAddUpOverSegments() {
        var total = BLEU.Statistics()
        total += BLEU.statistics(hypothesis: "a b c", reference: "a b d")
        total += BLEU.statistics(hypothesis: "x y", reference: "x y")
        XCTAssertEqual(total.hypothesisLength, 5)
        XCTAssertEqual(total.referenceLength, 5)
        XCTAssertEqual(total.matches, [4, 2, 0, 0])
        XCTAssertEqual(total.totals, [5, 3, 1, 0])
    }

    /// Hypothesis n-gram counts are clipped by the reference's: "the the the" earns one match.
    func testMatchesAreClipped() {
        let statistics = BLEU.statistics(hypothesis: "the the the", reference: "the cat")
        XCTAssertEqual(statistics.matches, [1, 0, 0, 0])
        XCTAssertEqual(statistics.totals, [3, 2, 1, 0])
    }

    func testSegmentCountMismatchIsAnError() {
        XCTAssertThrowsError(try BLEU.corpusScore(hypotheses: ["a"], references: ["a", "b"])) { error in
            XCTAssertEqual(error as? MetricError, .segmentCountMismatch(hypotheses: 1, references: 2))
        }
    }
}
