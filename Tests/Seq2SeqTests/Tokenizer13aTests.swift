import XCTest
import Seq2Seq

/// Expected tokens are sacrebleu 2.6.0's `Tokenizer13a()(line.rstrip())`.
final class Tokenizer13aTests: XCTestCase {
    func testMatchesSacreBLEU() {
        let cases: [(String, String)] = [
            ("&quot;Hello,&quot; she said (quietly): 3.5 x-y 1-2, end.",
             "\" Hello , \" she said ( quietly ) : 3.5 x-y 1 - 2 , end ."),
            ("Don't stop--it's 10,000 km/h!", "Don't stop--it's 10,000 km / h !"),
            ("a.. b,, 1.5. .5 5. x&amp;quot;y &lt;tag&gt; <skipped>ok",
             "a . . b , , 1.5 . . 5 5 . x & quot ; y < tag > ok"),
            ("e.g. U.S.A. 3-4-5 a-b {x}|[y]~`z` $5 50% #1 @me",
             "e . g . U . S . A . 3 - 4 - 5 a-b { x } | [ y ] ~ ` z ` $ 5 50 % # 1 @ me"),
            ("trailing   \t", "trailing"),
            ("", ""),
        ]
        for (line, expected) in cases {
            XCTAssertEqual(Tokenizer13a.tokenize(line).joined(separator: " "), expected, line)
        }
    }

    /// Python's whitespace, not Swift's: no-break space and U+3000 split, U+200B does not.
    func testSplitsOnPythonWhitespace() {
        XCTAssertEqual(Tokenizer13a.tokenize("a\u{A0}b\u{3000}c\u{200B}d\u{1C}e"), ["a", "b", "c\u{200B}d", "e"])
    }

    func testKeepsCodePointsApart() {
        let tokens = Tokenizer13a.tokenScalars("cafe\u{301} caf\u{E9}")
        XCTAssertEqual(tokens.count, 2)
        XCTAssertNotEqual(tokens[0], tokens[1])
    }
}
