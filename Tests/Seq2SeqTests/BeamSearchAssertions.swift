import Autograd
import Seq2Seq
import XCTest

/// Searching several sentences in one batch finds, for each, what searching it alone finds:
/// the same n-best tokens, scores and attention rows.
func assertBatchedBeamSearchMatchesOneSentenceAtATime(_ model: some Seq2SeqModel, sources: [[Int]],
                                                      file: StaticString = #filePath, line: UInt = #line) {
    let search = BeamSearch(beamSize: 3, lengthPenalty: 0.6, bestCount: 2)
    let limit = { (length: Int) in length + 4 }
    let batched = search.decode(model, sources: sources, maximumLength: limit)
    XCTAssertEqual(batched.count, sources.count, file: file, line: line)
    for (source, together) in zip(sources, batched) {
        let alone = search.decode(model, source: source, maximumLength: limit(source.count))
        XCTAssertEqual(together.map(\.tokens), alone.map(\.tokens), "source \(source)", file: file, line: line)
        for (a, b) in zip(together, alone) {
            XCTAssertEqual(a.logProbability, b.logProbability, accuracy: 1e-4, file: file, line: line)
            XCTAssertEqual(a.attention.count, b.attention.count, file: file, line: line)
            for (rowA, rowB) in zip(a.attention, b.attention) {
                XCTAssertEqual(rowA.count, source.count + 1, file: file, line: line)
                for (x, y) in zip(rowA, rowB) { XCTAssertEqual(x, y, accuracy: 1e-5, file: file, line: line) }
            }
        }
    }
}
