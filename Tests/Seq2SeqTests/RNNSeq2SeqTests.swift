import Autograd
import Seq2Seq
import XCTest

/// Every cell × attention combination: the whole model's gradient is right, and it learns
/// a handful of pairs exactly.
final class RNNSeq2SeqTests: XCTestCase {
    /// Four pairs over ids 4…11: reversed and shifted sequences of different lengths, so
    /// padding, masks and attention all matter.
    let sources = [[4, 5, 6, 7], [8, 9, 10], [5, 11, 4, 9, 6], [7, 7, 8]]
    var targets: [[Int]] { sources.map { $0.reversed().map { 4 + ($0 - 4 + 1) % 8 } } }

    private func model(_ cell: CellKind, _ attention: AttentionKind, hidden: Int = 32, seed: UInt64 = 5) -> RNNSeq2Seq {
        var configuration = RNNConfiguration()
        configuration.cell = cell
        configuration.attention = attention
        configuration.embeddingWidth = 16
        configuration.hiddenWidth = hidden
        configuration.sourceVocabularySize = 12
        configuration.targetVocabularySize = 12
        var generator = SeededGenerator(seed: seed)
        return RNNSeq2Seq(configuration, generator: &generator)
    }

    func testWholeModelGradientsMatchFiniteDifferences() {
        let batch = Batch(sources: Array(sources.prefix(3)), targets: Array(targets.prefix(3)))
        for cell in CellKind.allCases {
            for attention in AttentionKind.allCases {
                let m = model(cell, attention, hidden: 6)
                // Perturb a few parameter tensors from each part of the model.
                let named = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.tensor) })
                let probed = ["encoder.rnn.weight_hh_l0_reverse", "decoder.rnn.weight_ih_l0", "decoder.bridge.weight"]
                    .compactMap { named[$0] } + m.namedParameters.filter { $0.name.hasPrefix("decoder.attention") }.map(\.tensor)
                let result = GradientCheck.check(probed, step: 1e-2, maximumElements: 12) { _ in
                    var context = ForwardContext.inference
                    return m.loss(batch, context: &context)
                }
                XCTAssertTrue(result.passes(tolerance: 2e-2), "\(cell) × \(attention): \(result)")
            }
        }
    }

    func testEveryCombinationOverfitsAHandfulOfPairs() {
        let batch = Batch(sources: sources, targets: targets)
        for cell in CellKind.allCases {
            for attention in AttentionKind.allCases {
                let m = model(cell, attention)
                let optimizer = Adam(parameters: m.parameters, learningRate: 0.01)
                var context = ForwardContext(isTraining: true)
                var first: Float = 0, last: Float = 0
                for step in 0..<150 {
                    let loss = m.loss(batch, context: &context)
                    if step == 0 { first = loss.item }
                    last = loss.item
                    loss.backward()
                    _ = clipGradientNorm(m.parameters, maxNorm: 5)
                    optimizer.step()
                    optimizer.zeroGradients()
                }
                XCTAssertLessThan(last, first / 20, "\(cell) × \(attention): loss \(first) → \(last)")
                let decoded = GreedySearch.decode(m, sources: sources, maximumLength: { $0 + 5 })
                XCTAssertEqual(decoded.map { Array($0.tokens.dropLast()) }, targets, "\(cell) × \(attention)")
                if cell == .gru { assertBatchedBeamSearchMatchesOneSentenceAtATime(m, sources: sources + [[9, 4], [11, 10, 9, 8, 7, 6]]) }
                if attention != .none {
                    for (hypothesis, source) in zip(decoded, sources) {
                        XCTAssertEqual(hypothesis.attention.count, hypothesis.tokens.count)
                        for row in hypothesis.attention {
                            XCTAssertEqual(row.count, source.count + 1, "source words and </s>")
                            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4)
                        }
                    }
                }
            }
        }
    }

    func testParameterNamesAndShapes() {
        let m = model(.gru, .bahdanau)
        let names = m.namedParameters.map(\.name)
        XCTAssertEqual(names.first, "encoder.embedding.weight")
        XCTAssertTrue(names.contains("encoder.rnn.weight_ih_l0_reverse"))
        XCTAssertTrue(names.contains("decoder.attention.key_layer.weight"))
        XCTAssertEqual(Set(names).count, names.count, "names are unique")
        let output = m.namedParameters.first { $0.name == "decoder.output.weight" }!.tensor
        XCTAssertEqual(output.shape, [12, 32], "Linear weights are [out, in]")
    }
}
