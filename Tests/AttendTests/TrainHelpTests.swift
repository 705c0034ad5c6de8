import Foundation
import XCTest

/// `attend train --help` is generated from the option tables the parsing reads; the README's
/// option tables are written by hand. Both must list the same options with the same defaults.
final class TrainHelpTests: XCTestCase {
    /// `--name VALUE (default)  help` lines of the help, by section (`data:`, `RNN models (…):`, …).
    private func helpSections() throws -> [String: [String: String?]] {
        let run = try AttendProcess.run(["train", "--help"])
        XCTAssertEqual(run.status, 0, run.stderr)
        var sections = [String: [String: String?]](), current = ""
        let entry = try NSRegularExpression(pattern: #"^  --([a-z0-9-]+)(?: [^ (]+)?(?: \(([^)]*)\))?(?:  |$)"#)
        for line in run.stdout.split(separator: "\n").map(String.init) {
            if !line.hasPrefix(" "), line.hasSuffix(":") {
                current = String(line.prefix { $0 != " " && $0 != ":" })
                continue
            }
            guard let match = entry.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
                  let name = Range(match.range(at: 1), in: line).map({ String(line[$0]) }) else { continue }
            let shown: String? = Range(match.range(at: 2), in: line).map { String(line[$0]) }
            sections[current, default: [:]][name] = .some(shown)
        }
        return sections
    }

    /// The rows of the README's `n`-th option table under "## Training": each option named in
    /// the first cell, with the matching entry of the comma-separated defaults (`–`, `off` and
    /// an empty cell mean none).
    private func readmeTable(_ n: Int) throws -> [String: String?] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let training = text.components(separatedBy: "\n## Training\n").dropFirst().first?.components(separatedBy: "\n## ").first ?? ""
        let tables = training.components(separatedBy: "| option | default | meaning |").dropFirst()
        guard n < tables.count else { XCTFail("README has no option table \(n)"); return [:] }
        var rows = [String: String?]()
        let optionName = try NSRegularExpression(pattern: "--([a-z0-9-]+)")
        for line in tables[tables.index(tables.startIndex, offsetBy: n)].split(separator: "\n").dropFirst() {
            guard line.hasPrefix("|") else { break }
            let cells = line.replacingOccurrences(of: "\\|", with: "¦").split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
            guard cells.count >= 3 else { continue }
            let names = optionName.matches(in: cells[1], range: NSRange(cells[1].startIndex..., in: cells[1]))
                .compactMap { Range($0.range(at: 1), in: cells[1]).map { String(cells[1][$0]) } }
            let defaults = cells[2].isEmpty ? [] : cells[2].components(separatedBy: ", ")
            for (i, name) in names.enumerated() {
                let value: String? = defaults.count == names.count ? defaults[i] : nil
                let shown: String? = value.flatMap { ["–", "off", ""].contains($0) ? nil : $0 }
                rows[name] = .some(shown)
            }
        }
        return rows
    }

    func testHelpAndREADMEShowTheSameOptionsAndDefaults() throws {
        let help = try helpSections()
        // An option two architectures share (`--embed-dim`) must show one default in both sections:
        // a disagreement shows as a value the README cannot hold, whichever section comes first.
        let general = help.filter { !$0.key.hasPrefix("Transformer") }.values.reduce(into: [String: String?]()) {
            $0.merge($1) { a, b in a == b ? a : "different defaults: \(a ?? "none") and \(b ?? "none")" }
        }
        let transformer = try XCTUnwrap(help.first { $0.key.hasPrefix("Transformer") }?.value, "a Transformer section")
        for (label, readme, shown) in [("RNN and training", try readmeTable(0), general), ("Transformer", try readmeTable(1), transformer)] {
            XCTAssertGreaterThan(readme.count, 8, label)
            for (name, value) in readme {
                guard let helped = shown[name] else { XCTFail("\(label): README lists --\(name), the help does not"); continue }
                XCTAssertEqual(helped, value, "\(label): --\(name)")
            }
            if label == "Transformer" {
                for name in shown.keys where readme[name] == nil { XCTFail("\(label): the help lists --\(name), the README does not") }
            }
        }
        let rnnAndTraining = help.filter { !$0.key.hasPrefix("Transformer") }.flatMap(\.value.keys)
        let readme = try readmeTable(0)
        for name in rnnAndTraining where readme[name] == nil { XCTFail("the help lists --\(name), the README's table does not") }
        XCTAssertEqual(general["best-metric"], "exact", "the checkpoint is chosen by exact match unless told otherwise")
    }
}
