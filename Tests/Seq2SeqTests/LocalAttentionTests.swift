import Autograd
import Foundation
import Seq2Seq
import XCTest

/// Luong's local attention (§3.2), local-m and local-p: the window, the aligned position, the
/// Gaussian reweighting, and the decoder step that beam search must carry along.
final class LocalAttentionTests: XCTestCase {
    /// Three rows of different real lengths (with `</s>`), padded to `S = 9`.
    let lengths = [9, 5, 2]
    let length = 9, width = 4

    /// An attention over random encoder outputs `[3, 9, 4]`.
    private func attention(_ kind: AttentionKind, window: Int, seed: UInt64 = 11) -> (LocalAttention, AttentionMemory, Tensor) {
        var generator = SeededGenerator(seed: seed)
        let mechanism = kind.makeMechanism(AttentionShape(queryWidth: width, memoryWidth: width, window: window), generator: &generator)
        let attention = mechanism as! LocalAttention
        let outputs = Tensor.normal([lengths.count, length, width], generator: &generator)
        let mask = Tensor(shape: [lengths.count, length], scalars: lengths.flatMap { n in (0..<length).map { $0 < n ? 1 : 0 } })
        return (attention, attention.prepare(outputs: outputs, mask: mask), outputs)
    }

    private func parameter(_ attention: LocalAttention, _ name: String) -> Tensor {
        attention.namedParameters.first { $0.name == name }!.tensor
    }

    /// `[B, H]` queries, scaled so local-p's sigmoid sees small and saturating energies.
    private func queries(_ count: Int, scale: Float = 1, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.normal([count, width], generator: &generator) * scale
    }

    /// `p_t` computed here from the parameters, in Float64, independently of the model's ops.
    private func expectedPosition(_ kind: AttentionKind, _ attention: LocalAttention, query: Tensor, row b: Int, step: Int) -> Double {
        let last = Double(lengths[b] - 1)
        if kind == .localMonotonic { return min(Double(step), last) }
        let wp = parameter(attention, "position_layer.weight"), vp = parameter(attention, "position_energy")
        var energy = 0.0
        for i in 0..<width {
            var hidden = 0.0
            for j in 0..<width { hidden += Double(wp[i, j]) * Double(query[b, j]) }
            energy += Double(vp[i]) * Foundation.tanh(hidden)
        }
        return last / (1 + Foundation.exp(-energy))
    }

    /// Luong's weights for row `b`: `softmax_window(h_tᵀ W_a h̄_s) · exp(−(s − p_t)² / 2σ²)`,
    /// `σ = D/2`, renormalised over the window, all computed here in Float64.
    private func expectedWeights(_ kind: AttentionKind, _ attention: LocalAttention, outputs: Tensor, query: Tensor,
                                 row b: Int, step: Int) -> [Double] {
        let wa = parameter(attention, "key_layer.weight")
        let p = expectedPosition(kind, attention, query: query, row: b, step: step)
        let d = Double(attention.window), sigma = d / 2
        let window = (0..<lengths[b]).filter { abs(Double($0) - p) <= d }
        var scores = [Double](repeating: 0, count: length)
        for s in window {
            for a in 0..<width {
                var key = 0.0
                for m in 0..<width { key += Double(wa[a, m]) * Double(outputs[b, s, m]) }
                scores[s] += Double(query[b, a]) * key
            }
        }
        let peak = window.map { scores[$0] }.max()!
        let total = window.reduce(0.0) { $0 + Foundation.exp(scores[$1] - peak) }
        var weights = [Double](repeating: 0, count: length)
        for s in window {
            let align = Foundation.exp(scores[s] - peak) / total
            weights[s] = align * Foundation.exp(-(Double(s) - p) * (Double(s) - p) / (2 * sigma * sigma))
        }
        let sum = weights.reduce(0, +)
        return weights.map { $0 / sum }
    }

    func testWeightsVanishOutsideTheWindowAndEachRowSumsToOne() {
        for kind in [AttentionKind.localMonotonic, .localPredictive] {
            let (attention, memory, _) = attention(kind, window: 2)
            for step in 0..<11 {
                let query = queries(lengths.count, scale: 3, seed: UInt64(step))
                let (context, weights) = attention(query: query, memory: memory, step: step)
                XCTAssertEqual(context.shape, [lengths.count, width])
                let positions = attention.alignedPositions(query: query, memory: memory, step: step)
                for b in 0..<lengths.count {
                    let p = positions[b, 0]
                    var sum: Float = 0
                    for s in 0..<length {
                        let inside = s < lengths[b] && abs(Float(s) - p) <= 2
                        if inside {
                            XCTAssertGreaterThan(weights[b, s], 0, "\(kind) step \(step) row \(b) s \(s), p \(p)")
                        } else {
                            XCTAssertEqual(weights[b, s], 0, "\(kind) step \(step) row \(b) s \(s), p \(p): outside the window or padding")
                        }
                        sum += weights[b, s]
                    }
                    XCTAssertEqual(sum, 1, accuracy: 1e-5, "\(kind) step \(step) row \(b)")
                }
            }
        }
    }

    func testWeightsAreTheWindowedSoftmaxTimesTheGaussianRenormalised() {
        for kind in [AttentionKind.localMonotonic, .localPredictive] {
            for window in [1, 2, 4] {
                let (attention, memory, outputs) = attention(kind, window: window)
                for step in [0, 3, 7] {
                    let query = queries(lengths.count, scale: 2, seed: 100 + UInt64(step))
                    let weights = attention(query: query, memory: memory, step: step).weights
                    for b in 0..<lengths.count {
                        let expected = expectedWeights(kind, attention, outputs: outputs, query: query, row: b, step: step)
                        for s in 0..<length {
                            XCTAssertEqual(Double(weights[b, s]), expected[s], accuracy: 1e-5, "\(kind) D \(window) step \(step) row \(b) s \(s)")
                        }
                    }
                }
            }
        }
    }

    /// With `W_a = 0` every score is equal and only the Gaussian is left: the weights peak at
    /// `p_t = min(t, S_b − 1)` and fall off symmetrically inside the sentence.
    func testLocalMonotonicCentreFollowsTheStepAndStopsAtTheEnd() {
        let (attention, memory, _) = attention(.localMonotonic, window: 3)
        let keys = parameter(attention, "key_layer.weight")
        keys.data.update(repeating: 0, count: keys.count)
        let memoryWithoutScores = attention.prepare(outputs: memory.values, mask: memory.mask)
        for step in 0..<12 {
            let query = queries(lengths.count, seed: UInt64(step))
            let weights = attention(query: query, memory: memoryWithoutScores, step: step).weights
            let positions = attention.alignedPositions(query: query, memory: memoryWithoutScores, step: step)
            for b in 0..<lengths.count {
                let centre = min(step, lengths[b] - 1)
                XCTAssertEqual(positions[b, 0], Float(centre), "step \(step) row \(b)")
                let row = (0..<length).map { weights[b, $0] }
                XCTAssertEqual(row.indices.max { row[$0] < row[$1] }, centre, "step \(step) row \(b): the peak is p_t")
                for offset in 1...3 where centre - offset >= 0 && centre + offset < lengths[b] {
                    XCTAssertEqual(row[centre - offset], row[centre + offset], accuracy: 1e-6, "symmetric around p_t")
                    XCTAssertLessThan(row[centre + offset], row[centre + offset - 1], "falls off away from p_t")
                }
            }
        }
    }

    func testLocalPredictivePositionStaysInTheSentenceAndFollowsTheQuery() {
        let (attention, memory, _) = attention(.localPredictive, window: 2)
        var seen = Set<Int>()
        for (i, scale) in [Float(0.1), 1, 10, 1000].enumerated() {
            let query = queries(lengths.count, scale: scale, seed: 40 + UInt64(i))
            let positions = attention.alignedPositions(query: query, memory: memory, step: 5)
            XCTAssertEqual(positions.shape, [lengths.count, 1])
            for b in 0..<lengths.count {
                let p = positions[b, 0]
                XCTAssertTrue(p >= 0 && p <= Float(lengths[b]), "p_t = \(p) must lie in [0, S_b = \(lengths[b])]")
                XCTAssertLessThanOrEqual(p, Float(lengths[b] - 1), "and, scaled by S_b − 1, on a real position")
                XCTAssertEqual(Double(p), expectedPosition(.localPredictive, attention, query: query, row: b, step: 5), accuracy: 1e-4)
                if b == 0 { seen.insert(Int(p.rounded())) }
            }
        }
        XCTAssertGreaterThan(seen.count, 1, "p_t depends on h_t, not on t")
    }

    /// The Gaussian term carries the gradient to `W_p`, `v_p` and `h_t` (the window edges, a step
    /// function, carry none; the inputs are chosen so no `p_t` crosses one).
    func testLocalPredictiveGradientsReachThePositionParameters() {
        let (attention, memory, _) = attention(.localPredictive, window: 2)
        let query = queries(lengths.count, scale: 2, seed: 77)
        let positions = attention.alignedPositions(query: query, memory: memory, step: 0)
        for b in 0..<lengths.count {
            for s in 0..<lengths[b] {
                XCTAssertGreaterThan(abs(abs(Float(s) - positions[b, 0]) - 2), 0.05, "row \(b): p_t too near a window edge")
            }
        }
        let probed = [parameter(attention, "position_layer.weight"), parameter(attention, "position_energy"), query]
        let result = GradientCheck.check(probed, step: 1e-3, maximumElements: 16) { _ in
            attention(query: query, memory: memory, step: 0).context
        }
        XCTAssertTrue(result.passes(tolerance: 1e-2), "\(result)")
    }

    private func names(_ kind: AttentionKind) -> [String] {
        var generator = SeededGenerator(seed: 11)
        let shape = AttentionShape(queryWidth: width, memoryWidth: width, window: 2)
        return kind.makeMechanism(shape, generator: &generator)?.namedParameters.map(\.name) ?? []
    }

    func testNamesOfTheLocalParameters() {
        XCTAssertEqual(names(.localMonotonic), ["key_layer.weight"])
        XCTAssertEqual(names(.localPredictive), ["key_layer.weight", "position_layer.weight", "position_energy"])
        XCTAssertEqual(names(.luongGeneral), ["key_layer.weight"])
        XCTAssertTrue(AttentionKind.localMonotonic.isLuong && AttentionKind.localPredictive.isLuong)
    }

    // MARK: - In the RNN model

    private func model(_ kind: AttentionKind, window: Int, seed: UInt64 = 5) -> RNNSeq2Seq {
        var configuration = RNNConfiguration()
        configuration.attention = kind
        configuration.window = window
        configuration.embeddingWidth = 8
        configuration.hiddenWidth = 16
        configuration.sourceVocabularySize = 12
        configuration.targetVocabularySize = 12
        var generator = SeededGenerator(seed: seed)
        return RNNSeq2Seq(configuration, generator: &generator)
    }

    func testTheModelNamesLocalPsParametersForCheckpoints() {
        let shapes = Dictionary(uniqueKeysWithValues: model(.localPredictive, window: 3).namedParameters.map { ($0.name, $0.tensor.shape) })
        XCTAssertEqual(shapes["decoder.attention.key_layer.weight"], [16, 16], "W_a, [H, M]")
        XCTAssertEqual(shapes["decoder.attention.position_layer.weight"], [16, 16], "W_p, [H, H]")
        XCTAssertEqual(shapes["decoder.attention.position_energy"], [16], "v_p, [H]")
        XCTAssertEqual(shapes["decoder.attentional.weight"], [16, 32], "W_c, [H, M + H]")
        XCTAssertEqual(shapes["decoder.rnn.weight_ih_l0"], [48, 8 + 16], "input feeding, as for every Luong kind")
    }

    /// Targets longer than their sources, so local-m's `p_t` reaches the end and stays there.
    let sources = [[4, 5, 6, 7, 8, 9], [8, 9], [5, 11, 4]]
    var targets: [[Int]] { sources.map { $0 + $0.reversed() } }

    func testTheDecoderAttendsWithinTheWindowAtEveryStep() {
        let batch = Batch(sources: sources, targets: targets)
        for kind in [AttentionKind.localMonotonic, .localPredictive] {
            let matrices = model(kind, window: 1).forcedAttention(batch)
            for (b, matrix) in matrices.enumerated() {
                XCTAssertEqual(matrix.count, targets[b].count + 1)
                for (t, row) in matrix.enumerated() {
                    XCTAssertEqual(row.count, sources[b].count + 1)
                    XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
                    let support = row.indices.filter { row[$0] > 0 }
                    guard let first = support.first, let last = support.last else {
                        XCTFail("\(kind) pair \(b) step \(t): an empty window")
                        continue
                    }
                    XCTAssertLessThanOrEqual(support.count, 3, "\(kind) pair \(b) step \(t): at most 2D + 1 positions")
                    XCTAssertEqual(support, Array(first...last), "\(kind) pair \(b) step \(t): one window")
                    if kind == .localMonotonic {
                        let centre = min(t, sources[b].count)  // S_b − 1: the </s> column
                        XCTAssertEqual(support, Array(max(0, centre - 1)...min(sources[b].count, centre + 1)), "pair \(b) step \(t)")
                    }
                }
            }
        }
    }

    /// Beam search steps through `selecting(rows:)`; greedy does not. A beam of one must
    /// therefore see the same `t` at every step, and translate and align exactly as greedy.
    func testBeamOfOneEqualsGreedyAndBeamsKeepTheStep() {
        let pairs = Batch(sources: sources, targets: targets)
        for kind in [AttentionKind.localMonotonic, .localPredictive] {
            let m = model(kind, window: 1)
            let optimizer = Adam(parameters: m.parameters, learningRate: 0.01)
            var context = ForwardContext(isTraining: true)
            for _ in 0..<40 {  // enough that decoding runs several steps before </s>
                let loss = m.loss(pairs, context: &context)
                loss.backward()
                optimizer.step()
                optimizer.zeroGradients()
            }
            for source in sources {
                // One sentence at a time, as beam search decodes, so the arithmetic is the same to the bit.
                let expected = GreedySearch.decode(m, sources: [source], maximumLength: { _ in 12 })[0]
                XCTAssertGreaterThan(expected.tokens.count, 3, "\(kind): decoding must run several steps for this test to mean anything")
                let beam = BeamSearch(beamSize: 1, lengthPenalty: 0).decode(m, source: source, maximumLength: 12)
                XCTAssertEqual(beam.first?.tokens, expected.tokens, "\(kind)")
                XCTAssertEqual(beam.first?.attention, expected.attention, "\(kind)")
                guard kind == .localMonotonic else { continue }
                for hypothesis in BeamSearch(beamSize: 3, bestCount: 3).decode(m, source: source, maximumLength: 12) {
                    for (t, row) in hypothesis.attention.enumerated() {
                        let centre = min(t, source.count)
                        let support = row.indices.filter { row[$0] > 0 }
                        XCTAssertEqual(support, Array(max(0, centre - 1)...min(source.count, centre + 1)), "beam of 3, step \(t)")
                    }
                }
            }
        }
    }

    func testConfigurationsWithoutAWindowStillDecode() throws {
        var configuration = RNNConfiguration()
        configuration.attention = .localPredictive
        configuration.window = 3
        let json = try ModelConfiguration(architecture: "rnn", configuration).json()
        guard let decoded = try ModelConfiguration(json: json).configuration as? RNNConfiguration else { return XCTFail() }
        XCTAssertEqual(decoded, configuration)
        let old = json.replacingOccurrences(of: ",\"window\":3", with: "")
        XCTAssertFalse(old.contains("window"), old)
        guard let defaulted = try ModelConfiguration(json: old).configuration as? RNNConfiguration else { return XCTFail() }
        XCTAssertEqual(defaulted.window, 10, "Luong's D, for checkpoints written before local attention")
        configuration.window = 0
        XCTAssertEqual(configuration.problem(), "--window must be at least 1")
    }
}
