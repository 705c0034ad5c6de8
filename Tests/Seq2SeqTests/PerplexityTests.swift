import Foundation
import XCTest
import Seq2Seq

final class PerplexityTests: XCTestCase {
    func testPerplexityIsExpOfMeanNegativeLogLikelihood() throws {
        let value = try XCTUnwrap(Perplexity.value(totalNegativeLogLikelihood: 3 * log(4.0), tokenCount: 3))
        XCTAssertEqual(value, 4, accuracy: 1e-12)
        XCTAssertNil(Perplexity.value(totalNegativeLogLikelihood: 0, tokenCount: 0))
    }
}
