import Autograd
import Seq2Seq
import XCTest

/// The convolutional model as a whole: gradients, learning, incremental decoding against full
/// recomputation, padding that does not leak, attention by layer, and fairseq's parameter names.
final class ConvSeq2SeqTests: XCTestCase {
    let sources = [[4, 5, 6, 7], [8, 9, 10], [5, 11, 4, 9, 6], [7, 7, 8]]
    var targets: [[Int]] { sources.map { $0.reversed().map { 4 + ($0 - 4 + 1) % 8 } } }

    private func model(layers: Int = 2, channels: Int = 16, kernelWidth: Int = 3, embedding: Int = 8,
                       dropout: Float = 0, seed: UInt64 = 3) -> ConvSeq2Seq {
        var c = ConvConfiguration()
        (c.layers, c.channels, c.kernelWidth, c.embeddingWidth, c.dropout) = (layers, channels, kernelWidth, embedding, dropout)
        (c.maximumPositions, c.sourceVocabularySize, c.targetVocabularySize) = (16, 12, 12)
        var generator = SeededGenerator(seed: seed)
        return ConvSeq2Seq(c, generator: &generator)
    }

    private func parameter(_ m: ConvSeq2Seq, _ name: String) -> Tensor {
        m.namedParameters.first { $0.name == name }!.tensor
    }

    /// The decoder's gradients match central differences of the loss. The encoder's are scaled
    /// by `1 / (2L)` on purpose (§3.4), so for weights whose every path runs through the encoder
    /// output, the analytic gradient times `2L` must match them.
    func testWholeModelGradientsMatchFiniteDifferences() {
        let batch = Batch(sources: Array(sources.prefix(3)), targets: Array(targets.prefix(3)))
        for kernelWidth in [3, 2] {
            let m = model(channels: 6, kernelWidth: kernelWidth, embedding: 4)
            func loss() -> Tensor {
                var context = ForwardContext.inference
                return m.loss(batch, labelSmoothing: 0.1, context: &context)
            }
            let decoderNames = ["decoder.embed_tokens.weight", "decoder.embed_positions.weight", "decoder.fc1.weight",
                                "decoder.convolutions.0.weight", "decoder.convolutions.1.bias", "decoder.attention.0.in_projection.weight",
                                "decoder.attention.1.out_projection.weight", "decoder.fc2.bias", "decoder.fc3.weight"]
            let result = GradientCheck.check(decoderNames.map { parameter(m, $0) }, step: 1e-2, maximumElements: 12) { _ in loss() }
            XCTAssertTrue(result.passes(tolerance: 2e-2), "k \(kernelWidth): \(result)")

            let encoderNames = ["encoder.fc1.weight", "encoder.convolutions.0.weight", "encoder.convolutions.1.bias", "encoder.fc2.weight"]
            let probed = encoderNames.map { parameter(m, $0) }
            for p in m.parameters { p.zeroGrad() }
            loss().backward()
            for (name, tensor) in zip(encoderNames, probed) {
                for index in stride(from: 0, to: tensor.count, by: Swift.max(1, tensor.count / 6)) {
                    let original = tensor.data[index]
                    tensor.data[index] = original + 1e-2
                    let plus = withoutGradients { loss().item }
                    tensor.data[index] = original - 1e-2
                    let minus = withoutGradients { loss().item }
                    tensor.data[index] = original
                    let numeric = (plus - minus) / 2e-2
                    XCTAssertEqual(tensor.grad!.data[index] * 4, numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "\(name)[\(index)], k \(kernelWidth)")
                }
            }
        }
    }

    func testOverfitsAHandfulOfPairs() {
        let batch = Batch(sources: sources, targets: targets)
        let m = model(channels: 32, embedding: 16, dropout: 0.1)
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
        XCTAssertLessThan(last, first / 10, "loss \(first) → \(last)")
        let decoded = GreedySearch.decode(m, sources: sources, maximumLength: { $0 + 5 })
        XCTAssertEqual(decoded.map { Array($0.tokens.dropLast()) }, targets)
        let beam = sources.map { BeamSearch(beamSize: 3).decode(m, source: $0, maximumLength: $0.count + 5)[0] }
        XCTAssertEqual(beam.map { Array($0.tokens.dropLast()) }, targets, "beam 3")
        assertBatchedBeamSearchMatchesOneSentenceAtATime(m, sources: sources + [[9, 4], [11, 10, 9, 8, 7, 6]])
        for (hypothesis, source) in zip(decoded, sources) {
            XCTAssertEqual(hypothesis.attention.count, hypothesis.tokens.count)
            for row in hypothesis.attention {
                XCTAssertEqual(row.count, source.count + 1)
                XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4)
            }
        }
    }

    /// Decoding one position at a time, each layer keeping only its last `k − 1` inputs, gives
    /// what the whole-target pass gives: outputs, and the attention averaged over layers.
    func testIncrementalDecodingEqualsFullRecomputation() {
        for kernelWidth in [3, 1, 4] {
            let m = model(layers: 3, kernelWidth: kernelWidth, seed: 9)
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
                    XCTAssertEqual(next.windows.compactMap { $0?.shape }, kernelWidth == 1 ? [] : Array(repeating: [4, kernelWidth - 1, 16], count: 3),
                                   "each layer keeps its last k − 1 inputs")
                    for b in 0..<batch.size where t < batch.targetLengths[b] {
                        for d in 0..<8 {
                            XCTAssertEqual(output.data[b * 8 + d], full.data[(b * batch.targetLength + t) * 8 + d], accuracy: 1e-5,
                                           "k \(kernelWidth): row \(b), position \(t)")
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

    /// Greedy search through `step` picks, at every position, what recomputing the whole prefix
    /// from scratch picks.
    func testGreedySearchEqualsDecodingByFullRecomputation() {
        let m = model(layers: 3, seed: 5)
        let decoded = GreedySearch.decode(m, sources: sources, maximumLength: { $0 + 3 })
        for (source, hypothesis) in zip(sources, decoded) {
            var prefix = [Int]()
            while prefix.last != SpecialToken.end && prefix.count < source.count + 3 {
                let logits = withoutGradients {
                    var context = ForwardContext.inference
                    return m.logits(m.teacherForcedOutputs(Batch(sources: [source], targets: [prefix]), context: &context))
                }
                let row = Array(UnsafeBufferPointer(start: logits.data + prefix.count * 12, count: 12))
                prefix.append(row.indices.max { row[$0] < row[$1] }!)
            }
            XCTAssertEqual(hypothesis.tokens, prefix, "source \(source)")
        }
    }

    /// A sentence reads the same alone and in a batch padded for a longer one: padding reaches
    /// neither the convolutions nor the attention, which puts no weight on it.
    func testPaddingDoesNotLeak() {
        let m = model(layers: 3, kernelWidth: 5, seed: 4)
        let short = ([8, 9], [4, 5, 6])
        let alone = Batch(sources: [short.0], targets: [short.1])
        let padded = Batch(sources: [short.0, [4, 5, 6, 7, 8, 9, 10]], targets: [short.1, [4, 5, 6, 7, 8, 9]])
        let (aloneOutput, paddedOutput) = withoutGradients {
            var context = ForwardContext.inference
            return (m.teacherForcedOutputs(alone, context: &context), m.teacherForcedOutputs(padded, context: &context))
        }
        for i in 0..<aloneOutput.count { XCTAssertEqual(aloneOutput.data[i], paddedOutput.data[i], accuracy: 1e-5) }
        XCTAssertEqual(m.forcedAttention(alone, layer: nil, head: nil)[0], m.forcedAttention(padded, layer: nil, head: nil)[0])
        withoutGradients {
            var context = ForwardContext.inference
            let state = m.encode(source: padded.source, lengths: padded.sourceLengths, context: &context)
            let weights = m.step(tokens: [SpecialToken.start, SpecialToken.start], state: state, context: &context).weights!
            for s in 3..<padded.sourceLength { XCTAssertEqual(weights.data[s], 0, "padding position \(s)") }
        }
    }

    /// Any layer's attention, and their mean (the default, what `step` returns).
    func testForcedAttentionByLayer() {
        let m = model(layers: 3)
        let batch = Batch(sources: sources, targets: targets)
        XCTAssertEqual(m.attentionLayers, 3)
        XCTAssertEqual(m.attentionHeads, 1)
        XCTAssertEqual(m.defaultAttention, AttentionChoice(layer: nil))
        let layers = m.forcedAttention(batch, choices: (0..<3).map { AttentionChoice(layer: $0) })
        let mean = m.forcedAttention(batch)
        for b in 0..<sources.count {
            XCTAssertEqual(mean[b].count, targets[b].count + 1)
            for (t, row) in mean[b].enumerated() {
                XCTAssertEqual(row.count, sources[b].count + 1)
                XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-4)
                for s in row.indices { XCTAssertEqual(row[s], (layers[0][b][t][s] + layers[1][b][t][s] + layers[2][b][t][s]) / 3, accuracy: 1e-6) }
            }
        }
        XCTAssertNotEqual(layers[0][0][0], layers[2][0][0], "layers attend differently")
    }

    func testParameterNamesFollowFairseq() {
        let m = model(layers: 2, channels: 16, kernelWidth: 3, embedding: 8)
        let shapes = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.tensor.shape) })
        XCTAssertEqual(shapes.count, m.namedParameters.count, "names are unique")
        let expected: [String: [Int]] = [
            "encoder.embed_tokens.weight": [12, 8], "encoder.embed_positions.weight": [16, 8],
            "encoder.fc1.weight": [16, 8], "encoder.fc1.bias": [16],
            "encoder.convolutions.0.weight": [3, 16, 32], "encoder.convolutions.1.bias": [32],
            "encoder.fc2.weight": [8, 16], "encoder.fc2.bias": [8],
            "decoder.embed_tokens.weight": [12, 8], "decoder.embed_positions.weight": [16, 8], "decoder.fc1.weight": [16, 8],
            "decoder.convolutions.1.weight": [3, 16, 32], "decoder.attention.0.in_projection.weight": [8, 16],
            "decoder.attention.1.out_projection.weight": [16, 8], "decoder.attention.1.out_projection.bias": [16],
            "decoder.fc2.weight": [8, 16], "decoder.fc3.weight": [12, 8], "decoder.fc3.bias": [12],
        ]
        for (name, shape) in expected { XCTAssertEqual(shapes[name], shape, name) }
        XCTAssertEqual(shapes.count, (2 + 2 + 2 * 2 + 2) + (2 + 2 + 2 * 2 + 2 * 4 + 2 + 2), "nothing else")
    }

    /// §3.5: embeddings N(0, 0.1²); a convolution N(0, 4(1 − p)/(k·C)), a linear layer
    /// N(0, (1 − p)/n_in); biases zero.
    func testInitialisationFollowsThePaper() {
        let m = model(layers: 2, channels: 64, kernelWidth: 3, embedding: 32, dropout: 0.2)
        func std(_ name: String) -> Float {
            let t = parameter(m, name)
            let mean = t.scalars.reduce(0, +) / Float(t.count)
            return (t.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(t.count)).squareRoot()
        }
        XCTAssertEqual(std("encoder.embed_positions.weight"), 0.1, accuracy: 0.01)
        XCTAssertEqual(std("decoder.convolutions.0.weight"), (4 * 0.8 / Float(3 * 64)).squareRoot(), accuracy: 0.005)
        XCTAssertEqual(std("encoder.fc1.weight"), (0.8 / 32).squareRoot(), accuracy: 0.01)
        XCTAssertEqual(std("decoder.attention.0.in_projection.weight"), (1 / Float(64)).squareRoot(), accuracy: 0.01)
        XCTAssertEqual(parameter(m, "decoder.convolutions.1.bias").scalars, Array(repeating: 0, count: 128))
    }
}
