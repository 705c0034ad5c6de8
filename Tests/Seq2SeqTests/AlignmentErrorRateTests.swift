import XCTest
import Seq2Seq

final class AlignmentErrorRateTests: XCTestCase {
    private func links(_ line: String) -> Set<AlignmentLink> {
        (try? Pharaoh.links(in: line)) ?? []
    }

    private func score(_ predicted: [String], sure: [String], possible: [String]? = nil) throws -> AlignmentScore {
        try AlignmentErrorRate.score(
            predicted: predicted.map(links), sure: sure.map(links), possible: possible.map { $0.map(links) })
    }

    func testPerfectAlignmentHasZeroError() throws {
        let result = try score(["0-0 1-2 2-1", "0-1 1-0"], sure: ["0-0 1-2 2-1", "0-1 1-0"])
        XCTAssertEqual(result.errorRate, 0)
        XCTAssertEqual(result.precision, 1)
        XCTAssertEqual(result.recall, 1)
        XCTAssertEqual(result.predictedLinks, 5)
    }

    /// Four words: the diagonal and the anti-diagonal share no link.
    func testDiagonalAgainstAntiDiagonal() throws {
        let result = try score(["0-0 1-1 2-2 3-3"], sure: ["0-3 1-2 2-1 3-0"])
        XCTAssertEqual(result.errorRate, 1)
        XCTAssertEqual(result.precision, 0)
        XCTAssertEqual(result.recall, 0)
    }

    /// Three words: they share the middle link, so AER = 1 − (1 + 1) / (3 + 3) = 2/3.
    func testOddDiagonalsShareTheMiddle() throws {
        let result = try score(["0-0 1-1 2-2"], sure: ["0-2 1-1 2-0"])
        XCTAssertEqual(result.errorRate, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(result.precision, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(result.recall, 1.0 / 3, accuracy: 1e-12)
    }

    /// A = {0-0, 1-2, 2-1}, S = {0-0, 1-1}, P = S ∪ {1-2, 2-2}:
    /// |A∩S| = 1, |A∩P| = 2, AER = 1 − (1 + 2) / (3 + 2) = 0.4, precision 2/3, recall 1/2.
    /// With sure links only (P = S): AER = 1 − (1 + 1) / 5 = 0.6, precision 1/3.
    func testSureAndPossibleLinks() throws {
        let withPossible = try score(["0-0 1-2 2-1"], sure: ["0-0 1-1"], possible: ["1-2 2-2"])
        XCTAssertEqual(withPossible.sureMatches, 1)
        XCTAssertEqual(withPossible.possibleMatches, 2)
        XCTAssertEqual(withPossible.possibleLinks, 4)
        XCTAssertEqual(withPossible.errorRate, 0.4, accuracy: 1e-12)
        XCTAssertEqual(withPossible.precision, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(withPossible.recall, 0.5, accuracy: 1e-12)

        let sureOnly = try score(["0-0 1-2 2-1"], sure: ["0-0 1-1"])
        XCTAssertEqual(sureOnly.errorRate, 0.6, accuracy: 1e-12)
        XCTAssertEqual(sureOnly.precision, 1.0 / 3, accuracy: 1e-12)

        // A possible file that repeats the sure links gives the same P.
        let fullPossible = try score(["0-0 1-2 2-1"], sure: ["0-0 1-1"], possible: ["0-0 1-1 1-2 2-2"])
        XCTAssertEqual(fullPossible, withPossible)
    }

    /// Counts are summed over the corpus: 1 − (2 + 2) / (4 + 4) = 0.5, not the mean of the
    /// sentence rates (0 and 2/3).
    func testCorpusLevelCounts() throws {
        let result = try score(["0-0", "0-1 1-0 2-2"], sure: ["0-0", "0-0 1-1 2-2"])
        XCTAssertEqual(result.errorRate, 0.5, accuracy: 1e-12)
    }

    func testEmptyAlignments() throws {
        let nothingPredicted = try score([""], sure: ["0-0 1-1"])
        XCTAssertEqual(nothingPredicted.errorRate, 1)
        XCTAssertEqual(nothingPredicted.recall, 0)
        XCTAssertEqual(nothingPredicted.precision, 1)
        XCTAssertEqual(try score([""], sure: [""]).errorRate, 0)
    }

    func testLineCountMismatchIsAnError() {
        XCTAssertThrowsError(try score(["0-0"], sure: ["0-0", "1-1"])) { error in
            XCTAssertEqual(error as? MetricError, .segmentCountMismatch(hypotheses: 1, references: 2))
        }
        XCTAssertThrowsError(try score(["0-0"], sure: ["0-0"], possible: []))
    }

    func testPharaohParsing() throws {
        XCTAssertEqual(try Pharaoh.links(in: " 0-1\t2-3  0-1 "),
                       [AlignmentLink(source: 0, target: 1), AlignmentLink(source: 2, target: 3)])
        XCTAssertEqual(try Pharaoh.links(in: ""), [])
        XCTAssertEqual(Pharaoh.line([AlignmentLink(source: 2, target: 0), AlignmentLink(source: 0, target: 1)]), "0-1 2-0")
        for bad in ["0-", "-1", "a-b", "1-2-3", "-1-2", "+1-2", "0\u{2013}1", "12", "0-1p"] {
            XCTAssertThrowsError(try Pharaoh.links(in: "0-0 \(bad)", lineNumber: 7), bad) { error in
                XCTAssertEqual(error as? MetricError, .malformedLink(line: 7, token: bad))
            }
        }
        XCTAssertThrowsError(try Pharaoh.corpus(["0-0", "1-1", "x"])) { error in
            XCTAssertEqual(error as? MetricError, .malformedLink(line: 3, token: "x"))
        }
    }
}
