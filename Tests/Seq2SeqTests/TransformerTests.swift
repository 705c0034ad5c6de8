import Autograd
import Seq2Seq
import XCTest

/// The Transformer as a whole: gradients, learning, incremental decoding against full
/// recomputation, and PyTorch's parameter names.
final class TransformerTests: XCTestCase {
    let sources = [[4, 5, 6, 7], [8, 9, 10], [5, 11, 4, 9, 6], [7, 7, 8]]
    var targets: [[Int]] { sources.map { $0.reversed().map { 4 + ($0 - 4 + 1) % 8 } } }

    private func model(width: Int = 32, layers: Int = 2, norm: LayerNormPlacement = .post, tied: Bool = false,
                       positions: PositionEncoding = .sinusoidal, activation: FeedForwardActivation = .relu,
                       dropout: Float = 0, seed: UInt64 = 3) -> Transformer {
        var c = TransformerConfiguration()
        c.layers = layers
        c.heads = 2
        c.modelWidth = width
        c.feedForwardWidth = 2 * width
        c.dropout = dropout
        c.layerNorm = norm
        c.tieEmbeddings = tied
        c.positions = positions
        c.activation = activation
        c.maximumPositions = 16
        c.sourceVocabularySize = 12
        c.targetVocabularySize = 12
        var generator = SeededGenerator(seed: seed)
        return Transformer(c, generator: &generator)
    }

    /// Every variant, pre and post norm, tied and learned: the loss's gradient with respect to
    /// parameters from each part of the model matches central differences.
    func testWholeModelGradientsMatchFiniteDifferences() {
        let batch = Batch(sources: Array(sources.prefix(3)), targets: Array(targets.prefix(3)))
        let variants: [(LayerNormPlacement, Bool, PositionEncoding, FeedForwardActivation)] =
            [(.post, false, .sinusoidal, .relu), (.pre, true, .learned, .gelu)]
        for (norm, tied, positions, activation) in variants {
            let m = model(width: 8, norm: norm, tied: tied, positions: positions, activation: activation)
            let named = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.tensor) })
            let probed = ["encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.1.linear1.weight",
                          "decoder.layers.0.self_attn.in_proj_weight", "decoder.layers.1.multihead_attn.in_proj_weight",
                          "decoder.layers.1.multihead_attn.out_proj.weight", "decoder.layers.0.norm2.weight",
                          "decoder.embedding.weight", "decoder.output.bias"]
                + (norm == .pre ? ["encoder.norm.weight", "decoder.norm.bias"] : ["encoder.layers.0.norm1.bias"])
            let result = GradientCheck.check(probed.map { named[$0]! }, step: 1e-2, maximumElements: 10) { _ in
                var context = ForwardContext.inference
                return m.loss(batch, labelSmoothing: 0.1, context: &context)
            }
            XCTAssertTrue(result.passes(tolerance: 2e-2), "\(norm) tied \(tied) \(positions): \(result)")
        }
    }

    func testOverfitsAHandfulOfPairs() {
        let batch = Batch(sources: sources, targets: targets)
        for norm in LayerNormPlacement.allCases {
            let m = model(norm: norm, dropout: 0.1)
            let optimizer = Adam(parameters: m.parameters, learningRate: 3e-3)
            var context = ForwardContext(isTraining: true)
            var first: Float = 0, last: Float = 0
            for step in 0..<150 {
                let loss = m.loss(batch, context: &context)
                if step == 0 { first = loss.item }
                last = loss.item
                loss.backward()
                optimizer.step()
                optimizer.zeroGradients()
            }
            XCTAssertLessThan(last, first / 10, "\(norm): loss \(first) → \(last)")
            let decoded = GreedySearch.decode(m, sources: sources, maximumLength: { $0 + 5 })
            XCTAssertEqual(decoded.map { Array($0.tokens.dropLast()) }, targets, "\(norm)")
            let beam = sources.map { BeamSearch(beamSize: 3).decode(m, source: $0, maximumLength: $0.count + 5)[0] }
            XCTAssertEqual(beam.map { Array($0.tokens.dropLast()) }, targets, "\(norm), beam 3")
            assertBatchedBeamSearchMatchesOneSentenceAtATime(m, sources: sources + [[9, 4], [11, 10, 9, 8, 7, 6]])
            for (hypothesis, source) in zip(decoded, sources) {
                XCTAssertEqual(hypothesis.attention.count, hypothesis.tokens.count)
                for row in hypothesis.attention {
                    XCTAssertEqual(row.count, source.count + 1)
                    XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4)
                }
            }
        }
    }

    /// Decoding one position at a time with cached keys and values gives what the whole-target
    /// pass gives: outputs, and the averaged last-layer cross-attention, at every position.
    func testIncrementalDecodingEqualsFullRecomputation() {
        for norm in LayerNormPlacement.allCases {
            let m = model(width: 16, norm: norm, positions: norm == .pre ? .learned : .sinusoidal, seed: 9)
            let batch = Batch(sources: sources, targets: targets)
            let (full, fullAttention) = withoutGradients {
                var context = ForwardContext.inference
                return (m.teacherForcedOutputs(batch, context: &context), m.forcedAttention(batch))
            }
            withoutGradients {
                var context = ForwardContext.inference
                var state = m.encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
                for t in 0..<batch.targetLength {
                    let tokens = (0..<batch.size).map { batch.targetInput[$0 * batch.targetLength + t] }
                    let (output, weights, next) = m.step(tokens: tokens, state: state, context: &context)
                    XCTAssertEqual(next.position, t + 1)
                    for b in 0..<batch.size where t < batch.targetLengths[b] {
                        for d in 0..<16 {
                            XCTAssertEqual(output.data[b * 16 + d], full.data[(b * batch.targetLength + t) * 16 + d], accuracy: 1e-4,
                                           "\(norm): row \(b), position \(t)")
                        }
                        for s in 0..<batch.sourceLengths[b] {
                            XCTAssertEqual(weights!.data[b * batch.sourceLength + s], fullAttention[b][t][s], accuracy: 1e-5)
                        }
                    }
                    state = next
                }
            }
        }
    }

    func testParameterNamesFollowPyTorch() {
        let m = model(tied: true)
        let names = Set(m.namedParameters.map(\.name))
        XCTAssertEqual(names.count, m.namedParameters.count, "names are unique")
        for name in ["encoder.embedding.weight", "encoder.layers.1.self_attn.in_proj_weight", "encoder.layers.0.self_attn.out_proj.bias",
                     "encoder.layers.0.linear2.weight", "encoder.layers.0.norm2.bias", "decoder.layers.1.multihead_attn.in_proj_bias",
                     "decoder.layers.0.norm3.weight", "decoder.output.bias"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertFalse(names.contains("decoder.output.weight"), "tied: the output reuses the target embedding")
        XCTAssertFalse(names.contains("encoder.norm.weight"), "post-norm has no final norm")
        let inProjection = m.namedParameters.first { $0.name == "decoder.layers.0.self_attn.in_proj_weight" }!.tensor
        XCTAssertEqual(inProjection.shape, [96, 32], "[3D, D]")
        XCTAssertTrue(Set(model(norm: .pre).namedParameters.map(\.name)).isSuperset(of: ["encoder.norm.weight", "decoder.norm.bias"]))
    }

    /// Head averaging and head selection read the same weights.
    func testForcedAttentionByLayerAndHead() {
        let m = model(width: 16)
        let batch = Batch(sources: sources, targets: targets)
        let average = m.forcedAttention(batch, layer: 1, head: nil)
        let heads = (0..<2).map { m.forcedAttention(batch, layer: 1, head: $0) }
        XCTAssertEqual(average.count, sources.count)
        for b in 0..<sources.count {
            XCTAssertEqual(average[b].count, targets[b].count + 1)
            for (t, row) in average[b].enumerated() {
                XCTAssertEqual(row.count, sources[b].count + 1)
                XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4)
                for s in row.indices { XCTAssertEqual(row[s], (heads[0][b][t][s] + heads[1][b][t][s]) / 2, accuracy: 1e-6) }
            }
        }
        XCTAssertNotEqual(heads[0][0][0], heads[1][0][0], "two heads attend differently")
    }
}
