import Foundation
import Seq2Seq
import XCTest

/// The gold alignments of the training splits (`train.align`, for guided alignment): one line
/// per pair, each link inside its pair, the links each task defines, and each a set that
/// `GoldAlignments` loads for the corpus.
final class TrainingAlignmentCorpusTests: XCTestCase {
    private func load(_ corpus: String) throws -> (ParallelCorpus, [Set<AlignmentLink>]) {
        let folder = CorpusTests.data.appendingPathComponent(corpus)
        let pairs = try ParallelCorpus.load(sourcePath: folder.appendingPathComponent("train.src").path,
                                            targetPath: folder.appendingPathComponent("train.tgt").path)
        return (pairs, try GoldAlignments.load(path: folder.appendingPathComponent("train.align").path, corpus: pairs))
    }

    func testAlgorithmicTasks() throws {
        for corpus in ["reverse", "copy", "sort"] {
            let (pairs, gold) = try load(corpus)
            XCTAssertEqual(gold.count, 20_000, corpus)
            for (index, links) in gold.enumerated() {
                let (source, target) = (pairs.sources[index], pairs.targets[index])
                let n = source.count
                switch corpus {
                case "reverse": XCTAssertEqual(links, Set((0..<n).map { AlignmentLink(source: $0, target: n - 1 - $0) }))
                case "copy": XCTAssertEqual(links, Set((0..<n).map { AlignmentLink(source: $0, target: $0) }))
                default:  // a bijection between equal values
                    XCTAssertEqual(links.count, n)
                    XCTAssertEqual(Set(links.map(\.source)).count, n)
                    XCTAssertTrue(links.allSatisfy { source[$0.source] == target[$0.target] })
                }
            }
        }
    }

    func testToyTranslation() throws {
        let (pairs, gold) = try load("toy-translation")
        XCTAssertEqual(gold.count, 8_000)
        for (index, links) in gold.enumerated() {
            XCTAssertEqual(Set(links.map(\.target)), Set(pairs.targets[index].indices), "every target word has a source word")
            XCTAssertEqual(links.count, pairs.targets[index].count, "one sure link per target word")
        }
    }
}
