import Autograd
import Seq2Seq
import XCTest

/// The Neural Turing Machine as a seq2seq model: gradients, learning, step-by-step decoding
/// against teacher forcing, padding that does not leak, the source attention derived from its
/// heads, the raw weightings, and its parameter names.
final class NeuralTuringMachineTests: XCTestCase {
    let sources = [[4, 5, 6, 7], [8, 9, 10], [5, 11, 4, 9, 6], [7, 7, 8]]
    var targets: [[Int]] { sources.map { $0.reversed().map { 4 + ($0 - 4 + 1) % 8 } } }

    private func model(embedding: Int = 6, hidden: Int = 12, slots: Int = 8, width: Int = 4, readHeads: Int = 1,
                       shiftRange: Int = 1, seed: UInt64 = 3) -> NeuralTuringMachine {
        var c = NTMConfiguration()
        (c.embeddingWidth, c.hiddenWidth, c.memorySlots, c.memoryWidth) = (embedding, hidden, slots, width)
        (c.readHeads, c.shiftRange, c.sourceVocabularySize, c.targetVocabularySize) = (readHeads, shiftRange, 12, 12)
        var generator = SeededGenerator(seed: seed)
        return NeuralTuringMachine(c, generator: &generator)
    }

    /// Every parameter's gradient, through the controller, both kinds of head, the memory and the
    /// output layer over the whole source and target, matches central differences of the loss.
    func testWholeModelGradientsMatchFiniteDifferences() {
        let m = model(embedding: 4, hidden: 5, slots: 5, width: 3, readHeads: 2)
        let batch = Batch(sources: Array(sources.prefix(3)), targets: Array(targets.prefix(3)))
        let result = GradientCheck.check(m.parameters, step: 1e-2, maximumElements: 10) { _ in
            var context = ForwardContext.inference
            return m.loss(batch, context: &context)
        }
        XCTAssertTrue(result.passes(tolerance: 2e-2), "\(result)")
        XCTAssertEqual(result.checkedElements, m.parameters.reduce(0) { $0 + Swift.min($1.count, 10) })
    }

    func testOverfitsAHandfulOfPairs() {
        let batch = Batch(sources: sources, targets: targets)
        let m = model(embedding: 16, hidden: 32, slots: 10, width: 8)
        let optimizer = Adam(parameters: m.parameters, learningRate: 1e-2)
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

    /// `step` after `step` from `encode` computes what teacher forcing computes, and returns the
    /// attention `forcedAttention` gives.
    func testSteppingEqualsTeacherForcing() {
        let m = model(readHeads: 2, seed: 9)
        let batch = Batch(sources: sources, targets: targets)
        let full = withoutGradients {
            var context = ForwardContext.inference
            return m.teacherForcedOutputs(batch, context: &context)
        }
        let attention = m.forcedAttention(batch)
        let width = full.shape[2]
        XCTAssertEqual(width, 12 + 2 * 4, "[h; r₁; r₂]")
        withoutGradients {
            var context = ForwardContext.inference
            var state = m.encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
            for t in 0..<batch.targetLength {
                let tokens = (0..<batch.size).map { batch.targetInput[$0 * batch.targetLength + t] }
                let (output, weights, next) = m.step(tokens: tokens, state: state, context: &context)
                for b in 0..<batch.size where t < batch.targetLengths[b] {
                    for d in 0..<width { XCTAssertEqual(output.data[b * width + d], full.data[(b * batch.targetLength + t) * width + d], accuracy: 1e-6) }
                    for s in 0..<batch.sourceLengths[b] {
                        XCTAssertEqual(weights!.data[b * batch.sourceLength + s], attention[b][t][s], accuracy: 1e-6)
                    }
                }
                state = next
            }
        }
    }

    /// A sentence reads the same alone and in a batch padded for a longer one: its state is kept
    /// through the padded steps, and nothing is written at them.
    func testPaddingDoesNotLeak() {
        let m = model(seed: 4)
        let short = ([8, 9], [4, 5, 6])
        let alone = Batch(sources: [short.0], targets: [short.1])
        let padded = Batch(sources: [short.0, [4, 5, 6, 7, 8, 9, 10]], targets: [short.1, [4, 5, 6, 7, 8, 9]])
        let (aloneOutput, paddedOutput) = withoutGradients {
            var context = ForwardContext.inference
            return (m.teacherForcedOutputs(alone, context: &context), m.teacherForcedOutputs(padded, context: &context))
        }
        for i in 0..<aloneOutput.count { XCTAssertEqual(aloneOutput.data[i], paddedOutput.data[i], accuracy: 1e-5) }
        XCTAssertEqual(m.memoryWeightings(alone)[0], m.memoryWeightings(padded)[0])
        withoutGradients {
            var context = ForwardContext.inference
            let state = m.encode(source: padded.source, lengths: padded.sourceLengths, context: &context)
            XCTAssertEqual(state.written.shape, [2, 8, 8])
            for s in 3..<8 { XCTAssertEqual(state.written.scalars[s * 8..<(s + 1) * 8].reduce(0, +), 0, "no write at padding step \(s)") }
            let weights = m.step(tokens: [SpecialToken.start, SpecialToken.start], state: state, context: &context).weights!
            for s in 3..<padded.sourceLength { XCTAssertEqual(weights.data[s], 0, "padding position \(s)") }
        }
    }

    /// The attention over the source is `W_read · W_writeᵀ` with each row normalised: from the
    /// raw weightings, row `t`, column `s` is `Σ_i r_t(i) w_s(i) / Σ_s' Σ_i r_t(i) w_s'(i)`.
    func testSourceAttentionIsReadTimesWriteWeightings() {
        let m = model(readHeads: 2, seed: 5)
        let batch = Batch(sources: sources, targets: targets)
        XCTAssertEqual(m.attentionLayers, 1)
        XCTAssertEqual(m.attentionHeads, 2)
        let raw = m.memoryWeightings(batch)
        let perHead = m.forcedAttention(batch, choices: [AttentionChoice(layer: 0, head: 0), AttentionChoice(layer: 0, head: 1)])
        let mean = m.forcedAttention(batch)
        for b in 0..<batch.size {
            XCTAssertEqual(raw[b].write.count, sources[b].count + 1, "a write weighting per source word and </s>")
            XCTAssertEqual(raw[b].read.map(\.count), [targets[b].count + 1, targets[b].count + 1], "a read weighting per target word and </s>, per head")
            for rows in [raw[b].write] + raw[b].read {
                for row in rows {
                    XCTAssertEqual(row.count, 8)
                    XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
                }
            }
            for head in 0..<2 {
                for (t, read) in raw[b].read[head].enumerated() {
                    let products = raw[b].write.map { write in zip(read, write).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
                    let total = products.reduce(0, +)
                    for s in products.indices {
                        XCTAssertEqual(perHead[head][b][t][s], products[s] / total, accuracy: 1e-5)
                        XCTAssertEqual(mean[b][t][s], (perHead[0][b][t][s] + perHead[1][b][t][s]) / 2, accuracy: 1e-6)
                    }
                }
            }
        }
    }

    /// PyTorch's modules and layouts; the start of the memory and the weightings is fixed, so
    /// there is nothing else.
    func testParameterNamesAndShapes() {
        let m = model(embedding: 6, hidden: 12, slots: 8, width: 4, readHeads: 2, shiftRange: 2)
        let shapes = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.tensor.shape) })
        let head = 4 + 2 * 2 + 4  // k, β, g, s over −2 … 2, γ
        XCTAssertEqual(shapes, [
            "source_embedding.weight": [12, 6], "target_embedding.weight": [12, 6],
            "controller.weight_ih_l0": [48, 6 + 2 * 4], "controller.weight_hh_l0": [48, 12],
            "controller.bias_ih_l0": [48], "controller.bias_hh_l0": [48],
            "read_heads.weight": [2 * head, 12], "read_heads.bias": [2 * head],
            "write_head.weight": [head + 2 * 4, 12], "write_head.bias": [head + 2 * 4],
            "output.weight": [12, 12 + 2 * 4], "output.bias": [12],
        ])
        XCTAssertEqual(m.namedParameters.count, shapes.count, "names are unique")
    }

    func testConfigurationProblems() {
        var c = NTMConfiguration()
        XCTAssertNil(c.problem())
        c.shiftRange = 70
        XCTAssertEqual(c.problem(), "--shift-range 70 needs at least 141 memory slots")
        c = NTMConfiguration()
        c.readHeads = 0
        XCTAssertEqual(c.problem(), "--read-heads must be at least 1")
    }
}
