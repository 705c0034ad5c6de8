import Foundation
import XCTest
import Seq2Seq

/// The corpora in Data/: their shapes, their gold alignments, and that the generator rebuilds
/// them byte for byte.
final class CorpusTests: XCTestCase {
    /// The package root, found from this file's path (Tests/Seq2SeqTests/CorpusTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let data = root.appendingPathComponent("Data")

    private func lines(_ corpus: String, _ file: String) throws -> [String] {
        try TextLines.read(path: Self.data.appendingPathComponent(corpus).appendingPathComponent(file).path)
    }

    private func tokens(_ line: String) -> [String] { line.split(separator: " ").map(String.init) }

    private func numbers(_ line: String) throws -> [Int] {
        try tokens(line).map { try XCTUnwrap(Int($0), "token '\($0)'") }
    }

    private func alignment(_ corpus: String, _ file: String) throws -> [Set<AlignmentLink>] {
        try Pharaoh.corpus(lines(corpus, file))
    }

    // MARK: reverse, copy, sort

    private let splitSizes = [("train", 20_000, 25), ("dev", 1_000, 30), ("test", 1_000, 30)]

    /// Checks sizes, token range and lengths; returns (source, target) token lists per split.
    private func checkAlgorithmic(_ corpus: String) throws -> [String: ([[Int]], [[Int]])] {
        var splits: [String: ([[Int]], [[Int]])] = [:]
        for (split, count, maxLength) in splitSizes {
            let sources = try lines(corpus, "\(split).src").map(numbers)
            let targets = try lines(corpus, "\(split).tgt").map(numbers)
            XCTAssertEqual(sources.count, count, "\(corpus) \(split).src")
            XCTAssertEqual(targets.count, count, "\(corpus) \(split).tgt")
            let lengths = sources.map(\.count)
            XCTAssertEqual(lengths.min(), 1, "\(corpus) \(split)")
            XCTAssertEqual(lengths.max(), maxLength, "\(corpus) \(split)")
            XCTAssertTrue(sources.joined().allSatisfy { (0..<50).contains($0) }, "\(corpus) \(split)")
            if split != "train" {
                XCTAssertEqual(try alignment(corpus, "\(split).align").count, count, "\(corpus) \(split).align")
            }
            splits[split] = (sources, targets)
        }
        return splits
    }

    func testReverse() throws {
        for (split, (sources, targets)) in try checkAlgorithmic("reverse") {
            XCTAssertTrue(zip(sources, targets).allSatisfy { $0.reversed() == $1 }, split)
            guard split != "train" else { continue }
            let gold = try alignment("reverse", "\(split).align")
            for (source, links) in zip(sources, gold) {
                let n = source.count
                XCTAssertEqual(links, Set((0..<n).map { AlignmentLink(source: $0, target: n - 1 - $0) }))
            }
        }
    }

    func testCopy() throws {
        for (split, (sources, targets)) in try checkAlgorithmic("copy") {
            XCTAssertEqual(sources, targets, split)
            guard split != "train" else { continue }
            let gold = try alignment("copy", "\(split).align")
            for (source, links) in zip(sources, gold) {
                XCTAssertEqual(links, Set(source.indices.map { AlignmentLink(source: $0, target: $0) }))
            }
        }
    }

    /// Sort's gold alignment is a bijection between equal values, ties in order (stable).
    func testSort() throws {
        for (split, (sources, targets)) in try checkAlgorithmic("sort") {
            XCTAssertTrue(zip(sources, targets).allSatisfy { $0.sorted() == $1 }, split)
            guard split != "train" else { continue }
            let gold = try alignment("sort", "\(split).align")
            for ((source, target), links) in zip(zip(sources, targets), gold) {
                let ordered = links.sorted { $0.target < $1.target }
                XCTAssertEqual(ordered.map(\.target), Array(target.indices))
                XCTAssertEqual(Set(ordered.map(\.source)), Set(source.indices))
                for link in ordered { XCTAssertEqual(source[link.source], target[link.target]) }
                for (a, b) in zip(ordered, ordered.dropFirst()) where target[a.target] == target[b.target] {
                    XCTAssertLessThan(a.source, b.source, "ties keep source order")
                }
            }
        }
    }

    // MARK: toy-translation

    func testToyTranslation() throws {
        let trainSources = Set(try lines("toy-translation", "train.src"))
        XCTAssertEqual(trainSources.count, 8_000, "distinct training sentences")
        XCTAssertEqual(try lines("toy-translation", "train.tgt").count, 8_000)
        var vocabulary = Set<String>()
        for split in ["dev", "test"] {
            let sources = try lines("toy-translation", "\(split).src").map(tokens)
            let targets = try lines("toy-translation", "\(split).tgt").map(tokens)
            let sure = try alignment("toy-translation", "\(split).align")
            let possible = try alignment("toy-translation", "\(split).possible")
            XCTAssertEqual([sources.count, targets.count, sure.count, possible.count], [500, 500, 500, 500], split)
            for index in sources.indices {
                let (source, target, links) = (sources[index], targets[index], sure[index])
                vocabulary.formUnion(source)
                XCTAssertFalse(trainSources.contains(source.joined(separator: " ")), "\(split) sentence in train")
                XCTAssertTrue(links.allSatisfy { source.indices.contains($0.source) && target.indices.contains($0.target) })
                XCTAssertEqual(Set(links.map(\.target)), Set(target.indices), "every target word has a source")
                for (position, word) in source.enumerated() where ["a", "do", "does"].contains(word) {
                    XCTAssertFalse(links.contains { $0.source == position }, "'\(word)' has no sure link")
                }
                XCTAssertTrue(links.isSubset(of: possible[index]), "P ⊇ S")
                let extra = possible[index].subtracting(links)
                XCTAssertEqual(extra.count, source.filter { $0 == "do" || $0 == "does" }.count)
                XCTAssertTrue(extra.allSatisfy { ["do", "does"].contains(source[$0.source]) })
            }
        }
        XCTAssertGreaterThan(vocabulary.count, 60)
    }

    // MARK: reproducibility

    /// Runs `swift Scripts/generate-corpora.swift --out TMP` and compares every file with Data/.
    func testGeneratorRebuildsDataByteForByte() throws {
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("attend-corpora-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: output)
        defer { try? FileManager.default.removeItem(at: output) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", Self.root.appendingPathComponent("Scripts/generate-corpora.swift").path,
                             "--out", output.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, message)

        let generated = try relativeFiles(under: output)
        let committed = try relativeFiles(under: Self.data).filter { !$0.hasSuffix("README.md") }
        XCTAssertEqual(generated, committed)
        XCTAssertGreaterThanOrEqual(generated.count, 34)
        for file in generated {
            let fresh = try Data(contentsOf: output.appendingPathComponent(file))
            let stored = try Data(contentsOf: Self.data.appendingPathComponent(file))
            XCTAssertTrue(fresh == stored, "\(file) differs from its regenerated version")
        }
    }

    private func relativeFiles(under directory: URL) throws -> [String] {
        let base = directory.standardizedFileURL.path
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: base + "/" + path, isDirectory: &isDirectory)
            if exists && !isDirectory.boolValue { files.append(path) }
        }
        return files.sorted()
    }
}
