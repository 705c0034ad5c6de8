import Autograd
import Foundation
import Seq2Seq
import XCTest

/// Coverage (Tu et al. 2016; See et al. 2017): the coverage vector the decoder keeps, the
/// score that reads it, the coverage loss, their gradients, names and options.
final class CoverageTests: XCTestCase {
    private func configuration(_ attention: AttentionKind, coverageLoss: Float = 0) -> RNNConfiguration {
        var c = RNNConfiguration()
        (c.attention, c.embeddingWidth, c.hiddenWidth, c.sourceVocabularySize, c.targetVocabularySize) = (attention, 8, 6, 12, 12)
        c.coverage = true
        c.coverageLoss = coverageLoss
        return c
    }

    private func model(_ c: RNNConfiguration, seed: UInt64 = 5) -> RNNSeq2Seq {
        var generator = SeededGenerator(seed: seed)
        return RNNSeq2Seq(c, generator: &generator)
    }

    private let batch = Batch(sources: [[4, 5, 6, 7], [8, 9, 10]], targets: [[7, 6, 5, 4], [10, 9]])

    /// `Σ_i min(α_i, c_i)`: by hand, and its gradient (away from the kink `α = c`).
    func testOverlapValueAndGradient() {
        let value = CoverageLoss.overlap(weights: Tensor(shape: [2, 3], scalars: [0.5, 0.3, 0.2, 0.1, 0.1, 0.8]),
                                         coverage: Tensor(shape: [2, 3], scalars: [0.1, 0.6, 0, 2, 0, 0.5]))
        XCTAssertEqual(value.scalars[0], 0.4, accuracy: 1e-6)
        XCTAssertEqual(value.scalars[1], 0.6, accuracy: 1e-6)
        var generator = SeededGenerator(seed: 8)
        let scores = Tensor.uniform([3, 4], low: -1, high: 1, generator: &generator)
        let alpha = scores.softmax()
        // Each coverage 0.2 away from its weight, on either side.
        let coverage = Tensor(shape: [3, 4], scalars: (0..<12).map { alpha.data[$0] + ($0 % 2 == 0 ? 0.2 : -0.2) })
        let result = GradientCheck.check([scores, coverage], step: 1e-3) { inputs in
            CoverageLoss.overlap(weights: inputs[0].softmax(), coverage: inputs[1])
        }
        XCTAssertTrue(result.passes(), "\(result)")
    }

    /// The term sums the steps of each sentence up to its length and divides by the tokens.
    func testCoverageLossMasksPaddingAndScalesByTokens() {
        let term = CoverageLoss(weight: 2)
        let ones = Tensor.ones([2, 3]), halves = Tensor(shape: [2, 3], repeating: 0.5)
        term.record(weights: ones, coverage: halves)   // 1.5 per row
        term.record(weights: halves, coverage: ones)   // 1.5 per row
        term.record(weights: ones, coverage: ones)     // 3 per row
        let lengths = Batch(sources: [[4], [4]], targets: [[5, 6], [5]])  // T = 3 and 2: 5 tokens
        XCTAssertEqual(term.loss(PassOutcome(batch: lengths, sentenceLogLikelihoods: [0, 0])).item, 2 * (1.5 + 1.5 + 3 + 1.5 + 1.5) / 5, accuracy: 1e-5)
    }

    /// The decoder's coverage is the sum of the attention paid so far.
    func testCoverageAccumulatesTheAttention() {
        let m = model(configuration(.bahdanau))
        inference {
            var context = ForwardContext.decoding
            var state = m.encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
            var sum = Tensor.zeros([2, batch.sourceLength])
            for t in 0..<3 {
                XCTAssertEqual(state.coverage?.scalars ?? [], sum.scalars, "step \(t)")
                let (_, weights, next) = m.step(tokens: [2, 2], state: state, context: &context)
                sum = sum + (weights ?? Tensor(0))
                state = next
            }
            XCTAssertEqual(state.coverage?.scalars.reduce(0, +) ?? 0, 6, accuracy: 1e-4, "three rows of weights per sentence")
        }
    }

    /// The whole model's gradient through the coverage score and the coverage loss, for both
    /// additive scores, including `w_c`.
    func testWholeModelGradientsWithCoverageMatchFiniteDifferences() {
        for attention in [AttentionKind.bahdanau, .luongConcat] {
            let m = model(configuration(attention, coverageLoss: 0.7))
            let probed = m.namedParameters.filter { $0.name.hasPrefix("decoder.attention") || $0.name == "decoder.bridge.weight" }.map(\.tensor)
            let result = GradientCheck.check(probed, step: 1e-2, maximumElements: 12) { _ in
                var context = ForwardContext(isTraining: true)
                return m.loss(batch, context: &context)
            }
            XCTAssertTrue(result.passes(tolerance: 2e-2), "\(attention): \(result)")
        }
    }

    /// The coverage loss is in the training loss, and nowhere else.
    func testCoverageLossIsAddedWhileTraining() {
        let with = model(configuration(.bahdanau, coverageLoss: 1)), without = model(configuration(.bahdanau))
        var a = ForwardContext(isTraining: true), b = ForwardContext(isTraining: true)
        XCTAssertGreaterThan(with.loss(batch, context: &a).item, without.loss(batch, context: &b).item + 1e-3)
        var c = ForwardContext.inference, d = ForwardContext.inference
        XCTAssertEqual(with.loss(batch, context: &c).item, without.loss(batch, context: &d).item)
        XCTAssertTrue(a.lossTerms.isEmpty, "the terms are spent by the loss")
    }

    func testParameterNamesOptionsAndConfiguration() throws {
        for attention in [AttentionKind.bahdanau, .luongConcat] {
            let shapes = Dictionary(uniqueKeysWithValues: model(configuration(attention)).namedParameters.map { ($0.name, $0.tensor.shape) })
            XCTAssertEqual(shapes["decoder.attention.coverage_layer.weight"], [6, 1], "\(attention)")
        }
        var plain = configuration(.bahdanau)
        plain.coverage = false
        XCTAssertNil(Dictionary(uniqueKeysWithValues: model(plain).namedParameters.map { ($0.name, $0.tensor.shape) })["decoder.attention.coverage_layer.weight"])

        func configure(_ values: [String: String]) throws -> ModelConfiguration {
            try Architecture.rnn.configuration(variant: "gru") { values[$0.name] }
        }
        let covered = try configure(["attention": "luong-concat", "coverage": "", "coverage-loss": "0.5"])
        let rnn = try XCTUnwrap(covered.configuration as? RNNConfiguration)
        XCTAssertTrue(rnn.coverage)
        XCTAssertEqual(rnn.coverageLoss, 0.5)
        XCTAssertEqual(covered.shortName, "gru-luong-concat-coverage")
        XCTAssertEqual(try ModelConfiguration(json: try covered.json()).json(), try covered.json())
        XCTAssertFalse(try configure([:]).json().contains("coverage"), "configurations without coverage read as before")
        XCTAssertThrowsError(try configure(["attention": "luong-dot", "coverage": ""])) { error in
            XCTAssertEqual("\(error)", "--coverage applies to bahdanau and luong-concat")
        }
        XCTAssertThrowsError(try configure(["coverage-loss": "1"])) { error in
            XCTAssertEqual("\(error)", "--coverage-loss needs --coverage")
        }
    }

    /// With coverage, a model still learns the handful of pairs, and beam search keeps each
    /// hypothesis's own coverage.
    func testAModelWithCoverageLearns() {
        var c = configuration(.bahdanau, coverageLoss: 0.5)
        (c.embeddingWidth, c.hiddenWidth) = (16, 32)
        let m = model(c)
        let sources = [[4, 5, 6, 7], [8, 9, 10], [5, 11, 4, 9, 6], [7, 7, 8]]
        let targets = sources.map { Array($0.reversed()) }
        let optimizer = Adam(parameters: m.parameters, learningRate: 0.01)
        var context = ForwardContext(isTraining: true)
        for _ in 0..<150 {
            m.loss(Batch(sources: sources, targets: targets), context: &context).backward()
            optimizer.step()
            optimizer.zeroGradients()
        }
        XCTAssertEqual(GreedySearch.decode(m, sources: sources, maximumLength: { $0 + 5 }).map { Array($0.tokens.dropLast()) }, targets)
        assertBatchedBeamSearchMatchesOneSentenceAtATime(m, sources: sources + [[9, 4], [11, 10, 9, 8, 7, 6]])
    }
}
