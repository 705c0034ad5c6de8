import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `attend report`: one page that parses as XML, fetches nothing, and shows every probe at
/// every validation, with the dev AER when the corpus has gold alignments.
final class ReportCommandTests: XCTestCase {
    /// The elements of a page, as an XML parser reads them.
    private final class Elements: NSObject, XMLParserDelegate {
        var found: [(name: String, attributes: [String: String])] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            found.append((name, attributes))
        }
    }

    func testTheReportIsOneWellFormedSelfContainedPageWithEveryProbeAndValidation() throws {
        let corpus = try TinyReverseCorpus()
        defer { corpus.remove() }
        // Gold alignments of the reversal: source word i with target word n − 1 − i.
        let devSources = try corpus.text("data/dev.src").split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        try corpus.write("dev.align", devSources.map { words in words.indices.map { "\($0)-\(words.count - 1 - $0)" }.joined(separator: " ") })
        let train = try corpus.attend(["train", "--data", "data", "--out", "run", "--epochs", "3", "--batch-size", "16", "--valid-every", "2",
                                       "--probes", "2", "--hidden-dim", "16", "--embed-dim", "8"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let last = try XCTUnwrap(train.stderrLines.last)
        XCTAssertTrue(last.hasPrefix("  report:    attend report ") && last.hasSuffix("/run"), "train names the report command last: \(last)")
        let validated = dataRows(corpus.directory.appendingPathComponent("run/validation.csv")).map { String($0.prefix { $0 != "," }) }
        XCTAssertEqual(validated, ["2", "3", "4", "6", "8", "9"], "every 2 steps and after each 3-step epoch")
        XCTAssertEqual(dataRows(corpus.directory.appendingPathComponent("run/alignment.csv")).count, validated.count)
        try Data(#"{"bleu": {"score": 12.5}, "exact_match": {"percent": 50.0}}"#.utf8).write(to: corpus.directory.appendingPathComponent("run/eval.json"))

        let report = try corpus.attend(["report", "run", "--out", "page.html"])
        XCTAssertEqual(report.status, 0, report.stderr)
        let page = try corpus.text("page.html")
        XCTAssertFalse(page.contains("http"), "no URL of any kind")
        let parser = XMLParser(data: Data(page.utf8)), elements = Elements()
        parser.delegate = elements
        XCTAssertTrue(parser.parse(), "well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        let names = Set(elements.found.map(\.name))
        XCTAssertTrue(names.isSuperset(of: ["html", "head", "body", "svg", "polyline", "rect", "input", "script"]), "\(names)")
        for element in elements.found {
            XCTAssertNil(element.attributes["src"], "nothing loaded from elsewhere: \(element)")
            XCTAssertNil(element.attributes["href"], "nothing linked: \(element)")
        }
        let sliders = elements.found.filter { $0.name == "input" && $0.attributes["class"] == "step-slider" }
        XCTAssertEqual(sliders.count, 2, "one slider per probe")
        for slider in sliders { XCTAssertEqual(slider.attributes["data-steps"], validated.joined(separator: " ")) }
        for sentence in devSources.prefix(2) { XCTAssertTrue(page.contains("</h3>") && page.contains(sentence.joined(separator: " ")), "\(sentence)") }
        let headings = elements.found.filter { $0.name == "section" }.compactMap { $0.attributes["id"] }
        XCTAssertEqual(headings, ["probe-0", "probe-1"])
        // The slider's data holds a frame for every probe at every validation.
        let json = try XCTUnwrap(page.components(separatedBy: "id=\"probe-data\">").last?.components(separatedBy: "</script>").first)
        let data = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let frames = try XCTUnwrap(data["probes"] as? [[[String: Any]]])
        XCTAssertEqual(frames.map { $0.compactMap { ($0["step"] as? Int).map(String.init) } }, [validated, validated])
        XCTAssertTrue(page.contains("dev alignment error rate (AER)</text>"), "the AER chart has data")
        XCTAssertTrue(page.contains("BLEU <b>12.50</b>") && page.contains("exact match <b>50.0%</b>"), "the test figures")
        XCTAssertTrue(page.contains("Not training now: step 9"))
    }
}
