import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Seq2Seq
import XCTest

/// The alignment writers: exact CSV and Pharaoh output, well-formed SVG, file naming and errors.
final class AlignmentWriterTests: XCTestCase {
    /// 3 target × 4 source tokens, with tokens that need CSV quoting and a row of thirds.
    private func smallMatrix() throws -> AttentionMatrix {
        try AttentionMatrix(
            sourceTokens: ["Hello,", "say \"hi\"", "world", "</s>"],
            targetTokens: ["bonjour", "le\nmonde", "</s>"],
            rows: [[0.7, 0.1, 0.1, 0.1], [1.0 / 3, 1.0 / 3, 1.0 / 3, 0], [0, 0, 0.25, 0.75]])
    }

    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("attend-align-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    // MARK: CSV

    func testMatrixCSVHasHeaderQuotingAndRowsThatSumToOne() throws {
        // Thirds print as 0.333334 + 0.333333 + 0.333333 (largest remainder, ties to the lowest
        // index), not 3 × 0.333333 = 0.999999.
        XCTAssertEqual(CSVAlignmentWriter().matrixDocument(for: try smallMatrix()), #"""
            ,"Hello,","say ""hi""",world,</s>
            bonjour,0.700000,0.100000,0.100000,0.100000
            "le
            monde",0.333334,0.333333,0.333333,0.000000
            </s>,0.000000,0.000000,0.250000,0.750000

            """#)
    }

    func testLongCSVHasOneLinePerWeightAndNumbersSentencesFromOne() throws {
        let second = try AttentionMatrix(sourceTokens: ["</s>"], targetTokens: ["</s>"], weights: [1])
        XCTAssertEqual(CSVAlignmentWriter().longDocument(for: [try smallMatrix(), second]), #"""
            sentence,target_index,target_token,source_index,source_token,weight
            1,0,bonjour,0,"Hello,",0.700000
            1,0,bonjour,1,"say ""hi""",0.100000
            1,0,bonjour,2,world,0.100000
            1,0,bonjour,3,</s>,0.100000
            1,1,"le
            monde",0,"Hello,",0.333334
            1,1,"le
            monde",1,"say ""hi""",0.333333
            1,1,"le
            monde",2,world,0.333333
            1,1,"le
            monde",3,</s>,0.000000
            1,2,</s>,0,"Hello,",0.000000
            1,2,</s>,1,"say ""hi""",0.000000
            1,2,</s>,2,world,0.250000
            1,2,</s>,3,</s>,0.750000
            2,0,</s>,0,</s>,1.000000

            """#)
    }

    func testPrintedSoftmaxRowsSumToExactlyOneAndStayWithinAMillionth() throws {
        var state: UInt64 = 42
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        for size in [1, 2, 3, 7, 30] {
            let rows: [[Float]] = (0..<size).map { _ in
                let scores = (0..<size).map { _ in Float(uniform() * 8 - 4) }
                let exps = scores.map { Foundation.exp($0 - scores.max()!) }
                return exps.map { $0 / exps.reduce(0, +) }
            }
            let tokens = (0..<size).map { "w\($0)" }
            let matrix = try AttentionMatrix(sourceTokens: tokens, targetTokens: tokens, rows: rows)
            let lines = CSVAlignmentWriter().matrixDocument(for: matrix).split(separator: "\n").dropFirst()
            for (row, line) in zip(rows, lines) {
                let printed = line.split(separator: ",").dropFirst().map { String($0) }
                XCTAssertTrue(printed.allSatisfy { $0.count == 8 && $0.dropFirst(1).hasPrefix(".") }, "\(printed)")
                let millionths = printed.map { Int($0.replacingOccurrences(of: ".", with: ""))! }
                XCTAssertEqual(millionths.reduce(0, +), 1_000_000, "row \(printed)")
                let sum = row.map(Double.init).reduce(0, +)
                for (text, weight) in zip(printed, row) {
                    XCTAssertEqual(Double(text)!, Double(weight) / sum, accuracy: 1.0000001e-6)
                }
            }
        }
    }

    func testRowsThatAreNotDistributionsArePrintedWeightByWeight() throws {
        let matrix = try AttentionMatrix(
            sourceTokens: ["a", "b"], targetTokens: ["x", "y"], rows: [[0.5, 0.25], [-0.25, -1e-9]])
        XCTAssertEqual(CSVAlignmentWriter().matrixDocument(for: matrix), ",a,b\nx,0.500000,0.250000\ny,-0.250000,0.000000\n")
    }

    // MARK: Pharaoh

    func testPharaohLinksTheAntiDiagonalAndLeavesOutEndOfSentence() throws {
        // 4 words + </s>: target j attends to source 3 - j; the </s> row attends to </s>.
        var rows = [[Float]](repeating: [Float](repeating: 0.05, count: 5), count: 5)
        for j in 0..<4 { rows[j][3 - j] = 0.8 }
        rows[4][4] = 0.8
        let matrix = try AttentionMatrix(
            sourceTokens: ["a", "b", "c", "d", "</s>"], targetTokens: ["D", "C", "B", "A", "</s>"], rows: rows)
        XCTAssertEqual(PharaohWriter().line(for: matrix), "0-3 1-2 2-1 3-0")
    }

    func testPharaohTiesGoToTheLowestSourceAndEndOfSentenceArgmaxGetsNoLink() throws {
        let matrix = try AttentionMatrix(
            sourceTokens: ["a", "b", "c", "</s>"],
            targetTokens: ["x", "y", "z", "</s>"],
            rows: [
                [0.1, 0.4, 0.4, 0.1],  // tie between b and c → b
                [0.1, 0.1, 0.1, 0.7],  // argmax is the source </s> → no link, not the runner-up
                [0.5, 0.1, 0.1, 0.3],  // a
                [0.9, 0.0, 0.0, 0.1],  // the target </s> row is left out whatever it attends to
            ])
        XCTAssertEqual(PharaohWriter().links(for: matrix), [AlignmentLink(source: 0, target: 2), AlignmentLink(source: 1, target: 0)])
        let allEnd = try AttentionMatrix(sourceTokens: ["a", "</s>"], targetTokens: ["x"], rows: [[0, 1]])
        XCTAssertEqual(PharaohWriter().document(for: [matrix, allEnd, matrix]), "0-2 1-0\n\n0-2 1-0\n")
    }

    // MARK: SVG

    func testSVGIsWellFormedWithOneRectPerCellAndEscapedTokens() throws {
        let tricky = "<&>\"'"
        let matrix = try AttentionMatrix(
            sourceTokens: [tricky, "Straße", "日本語", "</s>"], targetTokens: ["x", "é", "</s>"],
            rows: [[1, 0, 0, 0], [0, 0.5, 0.5, 0], [0, 0, 0, 1]])
        let svg = SVGHeatmapWriter().document(for: matrix, title: "sentence 1 & <more>")
        XCTAssertTrue(svg.contains("&lt;&amp;&gt;&quot;&apos;"))
        XCTAssertFalse(svg.contains(tricky))

        let parsed = try SVGSummary(svg)
        XCTAssertEqual(parsed.rootName, "svg")
        XCTAssertEqual(parsed.cellFills.count, 12, "one <rect class=\"cell\"> per weight")
        XCTAssertEqual(parsed.cellFills[0], "#08306b", "weight 1 is darkest")
        XCTAssertEqual(parsed.cellFills[1], "#ffffff", "weight 0 is white")
        XCTAssertEqual(parsed.cellTitles[5], "target 1: é\nsource 1: Straße\nweight: 0.500000")
        for token in [tricky, "Straße", "日本語", "</s>", "x", "é"] {
            XCTAssertTrue(parsed.texts.contains(token), "label \(token) drawn, got \(parsed.texts)")
        }
        XCTAssertTrue(parsed.texts.contains("sentence 1 & <more>"))
        XCTAssertTrue(parsed.texts.contains("weight"), "the legend has a caption")
    }

    func testSVGOfThirtyByThirtyKeepsCellsReadableAndRotatesLongLabels() throws {
        let tokens = (0..<30).map { "token\($0)" }
        let weights = (0..<900).map { $0 % 31 == 0 ? Float(1) : 0 }
        let svg = SVGHeatmapWriter().document(
            for: try AttentionMatrix(sourceTokens: tokens, targetTokens: tokens, weights: weights))
        let parsed = try SVGSummary(svg)
        XCTAssertEqual(parsed.cellFills.count, 900)
        XCTAssertEqual(parsed.cellSides, [24], "cells stay at least 24 px so 12 px labels fit")
        XCTAssertEqual(parsed.rotatedLabels, 30, "source labels wider than a cell are rotated")
    }

    // MARK: Files

    func testPerSentenceFormatsWriteNumberedFilesWithTheSuffix() throws {
        let matrices = try [smallMatrix(), smallMatrix(), smallMatrix()]
        let folder = scratch.appendingPathComponent("new/csv").path
        try AlignmentOutput.write(matrices, format: .csv, to: folder)
        try AlignmentOutput.write(matrices, format: .csv, to: folder, suffix: "layer2.head3")
        try AlignmentOutput.write(matrices, format: .svg, to: folder)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), [
            "000001.csv", "000001.layer2.head3.csv", "000001.svg", "000002.csv", "000002.layer2.head3.csv",
            "000002.svg", "000003.csv", "000003.layer2.head3.csv", "000003.svg",
        ])
        XCTAssertEqual(try String(contentsOfFile: folder + "/000002.csv", encoding: .utf8),
                       CSVAlignmentWriter().matrixDocument(for: try smallMatrix()))
        XCTAssertEqual(AlignmentFormat.csv.fileName(sentence: 1_234_567), "1234567.csv")
        XCTAssertEqual(AlignmentFormat.path("out/align.txt", withSuffix: "layer1.head0"), "out/align.layer1.head0.txt")
        XCTAssertEqual(AlignmentFormat.path("out.d/align", withSuffix: "h1"), "out.d/align.h1")
        XCTAssertEqual(AlignmentFormat.path("-", withSuffix: "h1"), "-")
    }

    func testOneFileFormatsAppearOnlyWhenFinished() throws {
        let path = scratch.appendingPathComponent("sub/align.txt").path
        let output = try AlignmentOutput(format: .pharaoh, path: path, suffix: "head1")
        XCTAssertEqual(output.path, scratch.appendingPathComponent("sub/align.head1.txt").path)
        try output.append(try smallMatrix())
        XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "nothing half-written at the path")
        try output.finish()
        XCTAssertEqual(try String(contentsOfFile: output.path, encoding: .utf8), "0-0 0-1\n")
        XCTAssertThrowsError(try output.append(try smallMatrix()))

        // An output dropped before finish() leaves the earlier file as it was, and no litter.
        do {
            let abandoned = try AlignmentOutput(format: .pharaoh, path: path, suffix: "head1")
            try abandoned.append(try smallMatrix())
            try abandoned.append(try smallMatrix())
        }
        XCTAssertEqual(try String(contentsOfFile: output.path, encoding: .utf8), "0-0 0-1\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.appendingPathComponent("sub").path),
                       ["align.head1.txt"])

        let long = scratch.appendingPathComponent("long.csv").path
        try AlignmentOutput.write([try smallMatrix()], format: .long, to: long)
        XCTAssertEqual(try String(contentsOfFile: long, encoding: .utf8),
                       CSVAlignmentWriter().longDocument(for: [try smallMatrix()]))
    }

    // MARK: Errors

    func testMismatchedSizesAreErrors() {
        XCTAssertThrowsError(try AttentionMatrix(sourceTokens: ["a", "b"], targetTokens: ["x"], weights: [1])) {
            XCTAssertEqual($0 as? AttentionMatrixError, .weightCountMismatch(count: 1, targetCount: 1, sourceCount: 2))
        }
        XCTAssertThrowsError(try AttentionMatrix(sourceTokens: ["a"], targetTokens: ["x", "y"], rows: [[1]])) {
            XCTAssertEqual($0 as? AttentionMatrixError, .rowCountMismatch(rowCount: 1, targetCount: 2))
        }
        XCTAssertThrowsError(try AttentionMatrix(sourceTokens: ["a", "b"], targetTokens: ["x", "y"], rows: [[0.5, 0.5], [1]])) {
            XCTAssertEqual($0 as? AttentionMatrixError, .rowLengthMismatch(row: 1, length: 1, sourceCount: 2))
            XCTAssertEqual("\($0)", "attention matrix row 1 has 1 weights but there are 2 source tokens")
        }
        XCTAssertThrowsError(try AttentionMatrix(sourceTokens: [], targetTokens: ["x"], weights: [])) {
            XCTAssertEqual($0 as? AttentionMatrixError, .noSourceTokens)
        }
        XCTAssertThrowsError(try AttentionMatrix(sourceTokens: ["a", "b"], targetTokens: ["x"], weights: [0.5, .nan])) {
            XCTAssertEqual($0 as? AttentionMatrixError, .nonFiniteWeight(target: 0, source: 1))
        }
    }

    func testUnwritablePathsAreClearErrors() throws {
        let file = scratch.appendingPathComponent("plain-file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let matrices = [try smallMatrix()]

        XCTAssertThrowsError(try AlignmentOutput.write(matrices, format: .csv, to: file + "/inside")) {
            XCTAssertEqual("\($0)", "cannot create folder '\(file)/inside': Not a directory")
        }
        XCTAssertThrowsError(try AlignmentOutput.write(matrices, format: .long, to: file + "/inside/a.csv")) {
            XCTAssertEqual("\($0)", "cannot create folder '\(file)/inside': Not a directory")
        }
        XCTAssertThrowsError(try AlignmentOutput.write(matrices, format: .svg, to: file)) {
            XCTAssertEqual($0 as? AlignmentOutputError, .notAFolder(path: file))
        }
        XCTAssertThrowsError(try AlignmentOutput.write(matrices, format: .pharaoh, to: scratch.path)) {
            XCTAssertEqual($0 as? AlignmentOutputError, .isAFolder(path: scratch.path))
        }
        XCTAssertThrowsError(try AlignmentOutput.write(matrices, format: .csv, to: "-")) {
            XCTAssertEqual($0 as? AlignmentOutputError, .standardOutputNotSupported(.csv))
        }
        XCTAssertThrowsError(try AlignmentOutput.write(matrices, format: .csv, to: scratch.path, suffix: "../up")) {
            XCTAssertEqual($0 as? AlignmentOutputError, .invalidSuffix("../up"))
        }
        XCTAssertThrowsError(try AlignmentOutput.write(matrices, format: .long, to: "")) {
            XCTAssertEqual($0 as? AlignmentOutputError, .emptyPath)
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "x", "the file in the way is untouched")
    }

    // MARK: The README's example

    /// A German → English pair with reordering (the verb "gefunden" moves forward), 12 × 12 with
    /// `</s>`. Set `ATTEND_ALIGNMENT_EXAMPLE=docs/alignment-example.svg` to write its heatmap.
    func testExampleHeatmapForTheDocs() throws {
        let source = ["gestern", "hat", "der", "kleine", "Hund", "im", "Garten", "einen", "Knochen", "gefunden", ".", "</s>"]
        let target = ["yesterday", "the", "little", "dog", "found", "a", "bone", "in", "the", "garden", ".", "</s>"]
        // For each target word: the source words it attends to, and how strongly.
        let focus: [[(Int, Float)]] = [
            [(0, 0.86)], [(2, 0.74), (1, 0.08)], [(3, 0.81)], [(4, 0.88)], [(9, 0.58), (1, 0.27)],
            [(7, 0.71), (8, 0.12)], [(8, 0.84)], [(5, 0.69), (6, 0.12)], [(5, 0.38), (6, 0.33), (2, 0.12)],
            [(6, 0.87)], [(10, 0.9)], [(11, 0.55), (10, 0.3)],
        ]
        let rows: [[Float]] = focus.map { peaks in
            let rest = (1 - peaks.map(\.1).reduce(0, +)) / Float(source.count - peaks.count)
            var row = [Float](repeating: rest, count: source.count)
            for (index, weight) in peaks { row[index] = weight }
            return row
        }
        let matrix = try AttentionMatrix(sourceTokens: source, targetTokens: target, rows: rows)
        XCTAssertEqual(PharaohWriter().line(for: matrix), "0-0 2-1 3-2 4-3 5-7 5-8 6-9 7-5 8-6 9-4 10-10")
        let svg = SVGHeatmapWriter().document(for: matrix, title: "sentence 1")
        XCTAssertEqual(try SVGSummary(svg).cellFills.count, 144)
        if let path = ProcessInfo.processInfo.environment["ATTEND_ALIGNMENT_EXAMPLE"] {
            try Data(svg.utf8).write(to: URL(fileURLWithPath: path))
        }
    }
}

/// What the tests need to know of an SVG document, read with Foundation's XML parser (which
/// fails on anything that is not well-formed XML).
private final class SVGSummary: NSObject, XMLParserDelegate {
    private(set) var rootName: String?
    /// The `fill` of every `<rect class="cell">`, in document order.
    private(set) var cellFills: [String] = []
    /// The distinct `width` values of the cells.
    private(set) var cellSides: Set<Double> = []
    private(set) var cellTitles: [String] = []
    /// The text content of every `<text>` element (without its nested `<title>`).
    private(set) var texts: [String] = []
    private(set) var rotatedLabels = 0
    private var path: [String] = []
    private var textBuffer = "", titleBuffer = ""

    init(_ svg: String) throws {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        guard parser.parse() else {
            throw NSError(domain: "SVGSummary", code: 1, userInfo: [
                NSLocalizedDescriptionKey: "not well-formed: \(String(describing: parser.parserError))"])
        }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if rootName == nil { rootName = name }
        if name == "rect", attributes["class"] == "cell" {
            cellFills.append(attributes["fill"] ?? "")
            cellSides.insert(Double(attributes["width"] ?? "") ?? -1)
        }
        if name == "text", attributes["transform"]?.hasPrefix("rotate(") == true { rotatedLabels += 1 }
        if name == "text" { textBuffer = "" }
        if name == "title" { titleBuffer = "" }
        path.append(name)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if path.last == "text" { textBuffer += string }
        if path.last == "title" { titleBuffer += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        path.removeLast()
        if name == "title", path.last == "rect" { cellTitles.append(titleBuffer) }
        if name == "text" { texts.append(textBuffer) }
    }
}
