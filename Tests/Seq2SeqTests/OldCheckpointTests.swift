import Autograd
import Foundation
import Seq2Seq
import XCTest

/// Checkpoints written by the build before the architecture registry (`Fixtures/README.md`)
/// still load, and translate, score and align exactly as they did when they were written.
final class OldCheckpointTests: XCTestCase {
    private struct Expected: Decodable {
        var greedy: [String]
        var beam3: [String]
        var lossPerToken: Double
        var tokens: Int
        var bleu: Double
        /// Per reference pair `[T + 1][S + 1]`, rounded to 6 decimals.
        var attention: [[[Double]]]
    }

    private func fixture(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"), name)
    }

    private func lines(_ name: String) throws -> [[String]] {
        try TextLines.read(path: try fixture(name).path).map(ParallelCorpus.tokenize)
    }

    private func check(_ name: String) throws {
        let all = try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: try fixture("expected.json")))
        let expected = try XCTUnwrap(all[name])
        let trained = try TrainedModel.load(from: try fixture(name + ".safetensors").path)
        XCTAssertNil(trained.subwords, "\(name): a checkpoint from before subwords reads words")
        let sources = try lines("sources.txt"), references = try lines("references.txt")
        let ids = sources.map(trained.sourceVocabulary.encode)
        func text(_ tokens: [Int]) -> String { trained.targetVocabulary.decode(tokens).joined(separator: " ") }

        let greedy = GreedySearch.decode(trained.model, sources: ids, maximumLength: { 2 * $0 + 10 })
        XCTAssertEqual(greedy.map { text($0.tokens) }, expected.greedy, name)
        let beam = BeamSearch(beamSize: 3).decode(trained.model, sources: ids, maximumLength: { 2 * $0 + 10 })
        XCTAssertEqual(beam.map { text($0.first?.tokens ?? []) }, expected.beam3, name)

        let evaluator = Evaluator(model: trained.model, targetVocabulary: trained.targetVocabulary)
        let evaluation = try evaluator.evaluate(sources: ids, references: references.map(trained.targetVocabulary.encode))
        XCTAssertEqual(evaluation.tokens, expected.tokens, name)
        XCTAssertEqual(evaluation.lossPerToken, expected.lossPerToken, accuracy: 1e-6, name)
        let bleu = try BLEU.corpusScore(hypotheses: evaluator.text(evaluation), references: references.map { $0.joined(separator: " ") })
        XCTAssertEqual(bleu.score, expected.bleu, accuracy: 1e-9, name)

        let attention = ForcedDecoding.attention(trained.model, sources: ids, targets: references.map(trained.targetVocabulary.encode))
        XCTAssertEqual(attention.count, expected.attention.count, name)
        for (pair, (matrix, recorded)) in zip(attention, expected.attention).enumerated() {
            XCTAssertEqual(matrix.count, recorded.count, "\(name) pair \(pair)")
            for (row, recordedRow) in zip(matrix, recorded) {
                XCTAssertEqual(row.count, recordedRow.count, "\(name) pair \(pair)")
                for (weight, value) in zip(row, recordedRow) {
                    XCTAssertEqual(Double(weight), value, accuracy: 1e-6, "\(name) pair \(pair)")
                }
            }
        }
    }

    func testGRUWithBahdanauAttention() throws { try check("gru-bahdanau") }

    /// Two layers, narrower encoder, dropout and local-p: every RNN tensor an old file can hold.
    func testLSTMWithLocalPredictiveAttention() throws { try check("lstm-local-p") }

    /// Pre-norm, learned positions, tied output embedding.
    func testTransformer() throws { try check("transformer") }
}
