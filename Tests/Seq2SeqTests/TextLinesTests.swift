import Foundation
import XCTest
import Seq2Seq

final class TextLinesTests: XCTestCase {
    func testTextLinesSplitLikePython() {
        XCTAssertEqual(TextLines.split("a\nb"), ["a", "b"])
        XCTAssertEqual(TextLines.split("a\nb\n"), ["a", "b"])
        XCTAssertEqual(TextLines.split(""), [])
        XCTAssertEqual(TextLines.split("\n"), [""])
        XCTAssertEqual(TextLines.split("a\r\nb\n\nc"), ["a\r", "b", "", "c"])
    }

    func testMissingFileAndInvalidUTF8AreErrors() throws {
        let missing = "/nonexistent/attend-\(UUID().uuidString)"
        XCTAssertThrowsError(try TextLines.read(path: missing)) { error in
            XCTAssertEqual(error as? TextFileError, .missing(path: missing))
        }
        let directory = FileManager.default.temporaryDirectory.path
        XCTAssertThrowsError(try TextLines.read(path: directory)) { error in
            XCTAssertEqual(error as? TextFileError, .unreadable(path: directory))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("attend-latin1-\(UUID().uuidString)")
        try Data([0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try TextLines.read(path: url.path)) { error in
            XCTAssertEqual(error as? TextFileError, .notUTF8(path: url.path))
        }
    }
}
