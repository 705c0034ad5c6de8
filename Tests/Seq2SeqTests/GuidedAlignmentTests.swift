import Autograd
import Foundation
import Seq2Seq
import XCTest

/// Guided alignment (Garg et al. 2019; Marian): the gold distribution, the cross-entropy and
/// its gradient, the links file, and the supervised attention of each architecture.
final class GuidedAlignmentTests: XCTestCase {
    private let batch = Batch(sources: [[4, 5, 6], [7, 8]], targets: [[9, 10, 11], [12]])  // S = 4, T = 4
    private let links: [Set<AlignmentLink>] = [
        [AlignmentLink(source: 0, target: 0), AlignmentLink(source: 1, target: 0), AlignmentLink(source: 2, target: 1)],
        [AlignmentLink(source: 1, target: 0)],
    ]

    /// `A` normalises each target word's links; words without a link (and `</s>`) are left out.
    func testGoldLinksAreNormalisedPerTargetWord() {
        let (gold, aligned) = GuidedAlignment.targets(links, batch: batch)
        XCTAssertEqual(gold.shape, [2, 4, 4])
        XCTAssertEqual(aligned, 3)
        XCTAssertEqual(Array(gold.scalars[0..<4]), [0.5, 0.5, 0, 0])
        XCTAssertEqual(Array(gold.scalars[4..<8]), [0, 0, 1, 0])
        XCTAssertEqual(Array(gold.scalars[8..<16]), Array(repeating: 0, count: 8), "target word 2 and </s> have no link")
        XCTAssertEqual(Array(gold.scalars[16..<20]), [0, 1, 0, 0])
    }

    /// `−(1/N_A) Σ A log(α + ε)` by hand, and its gradient through a masked softmax.
    func testCrossEntropyValueAndGradient() {
        let uniform = Tensor(shape: [2, 4, 4], repeating: 0.25)
        let value = GuidedAlignment.crossEntropy(attention: uniform, links: links, batch: batch).item
        XCTAssertEqual(value, -Float(log(0.25 + 1e-6)), accuracy: 1e-5, "every aligned word puts 1/4 on its links")
        var generator = SeededGenerator(seed: 4)
        let scores = Tensor.uniform([2, 4, 4], low: -2, high: 2, generator: &generator)
        let mask = Tensor(shape: [2, 1, 4], scalars: [1, 1, 1, 1, 1, 1, 1, 0])
        let result = GradientCheck.check([scores]) { inputs in
            GuidedAlignment.crossEntropy(attention: inputs[0].softmax(mask: mask), links: self.links, batch: self.batch)
        }
        XCTAssertTrue(result.passes(), "\(result)")
    }

    private func corpus(_ pairs: Int) -> ParallelCorpus {
        ParallelCorpus(sources: Array(repeating: ["a", "b"], count: pairs), targets: Array(repeating: ["x"], count: pairs))
    }

    private func linksFile(_ lines: [String]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("links-\(UUID().uuidString).align")
        try Data(lines.map { $0 + "\n" }.joined().utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testALinksFileWithAnotherLineCountIsAClearError() throws {
        let path = try linksFile(["0-0", "1-0"])
        XCTAssertEqual(try GoldAlignments.load(path: path, corpus: corpus(2)), [[AlignmentLink(source: 0, target: 0)], [AlignmentLink(source: 1, target: 0)]])
        XCTAssertThrowsError(try GoldAlignments.load(path: path, corpus: corpus(3))) { error in
            XCTAssertEqual(error as? GoldAlignmentError, .lineCountMismatch(path: path, lines: 2, pairs: 3))
            XCTAssertEqual("\(error)", "alignments \(path) have 2 lines but the training corpus has 3 sentence pairs")
        }
        let outside = try linksFile(["0-0", "2-0"])
        XCTAssertThrowsError(try GoldAlignments.load(path: outside, corpus: corpus(2))) { error in
            XCTAssertEqual("\(error)", "\(outside):2: link 2-0 is outside the pair (2 source words, 1 target words)")
        }
        let malformed = try linksFile(["0-0", "1:0"])
        XCTAssertThrowsError(try GoldAlignments.load(path: malformed, corpus: corpus(2))) { error in
            XCTAssertEqual(error as? GoldAlignmentError, .malformedLink(path: malformed, line: 2, token: "1:0"))
        }
    }

    /// The recomputed head of a Transformer's cross-attention is the fused op's, and a loss on
    /// it reaches the model: the whole guided loss matches finite differences.
    func testTransformerSupervisesOneHead() {
        var c = TransformerConfiguration()
        (c.layers, c.heads, c.modelWidth, c.feedForwardWidth, c.dropout) = (2, 2, 8, 16, 0)
        (c.sourceVocabularySize, c.targetVocabularySize) = (14, 14)
        c.activation = .gelu  // smooth: no kink of relu under the finite differences
        var generator = SeededGenerator(seed: 2)
        let m = Transformer(c, generator: &generator)
        let guided = [(layer: 1, head: 1), (layer: 0, head: 0)]
        for (layer, head) in guided {
            XCTAssertTrue(m.canSupervise(AttentionChoice(layer: layer, head: head)))
            var context = ForwardContext(isTraining: true)
            context.guidance = AlignmentGuidance(choice: AttentionChoice(layer: layer, head: head), weight: 1)
            var withLinks = batch
            withLinks.alignments = links
            _ = m.teacherForcedOutputs(withLinks, context: &context)
            XCTAssertEqual(context.lossTerms.count, 1)
            let fused = m.forcedAttention(withLinks, layer: layer, head: head)
            // The recomputed head, read back through the term's cross-entropy against one-hot gold:
            // −log(α_ts + ε) for a single link recovers α_ts.
            for (b, t, s) in [(0, 0, 1), (0, 2, 3), (1, 1, 0)] {
                var single = withLinks
                single.alignments = (0..<2).map { $0 == b ? [AlignmentLink(source: s, target: t)] : [] }
                var pass = ForwardContext(isTraining: true)
                pass.guidance = AlignmentGuidance(choice: AttentionChoice(layer: layer, head: head), weight: 1)
                let total = m.loss(single, context: &pass).item
                var plain = ForwardContext(isTraining: true)
                let crossEntropy = m.loss(single, context: &plain).item
                XCTAssertEqual(exp(-(total - crossEntropy)) - 1e-6, fused[b][t][s], accuracy: 1e-4, "layer \(layer) head \(head) (\(b), \(t), \(s))")
            }
        }
        XCTAssertFalse(m.canSupervise(AttentionChoice(layer: 2, head: 0)))
        XCTAssertFalse(m.canSupervise(AttentionChoice(layer: 1, head: nil)), "the mean over heads is not supervised")

        var withLinks = batch
        withLinks.alignments = links
        let probed = ["decoder.layers.1.multihead_attn.in_proj_weight", "encoder.layers.1.linear2.weight", "decoder.layers.0.linear1.weight",
                      "decoder.embedding.weight"]
        let named = Dictionary(uniqueKeysWithValues: m.namedParameters.map { ($0.name, $0.tensor) })
        let result = GradientCheck.check(probed.compactMap { named[$0] }, step: 1e-2, maximumElements: 12) { _ in
            var context = ForwardContext(isTraining: true)
            context.guidance = AlignmentGuidance(choice: AttentionChoice(layer: 1, head: 0), weight: 3)
            return m.loss(withLinks, context: &context)
        }
        XCTAssertTrue(result.passes(tolerance: 2e-2), "\(result)")
    }

    /// Each architecture hands the attention guidance names to the loss; an RNN and a
    /// convolutional model their one head.
    func testRNNAndConvSupervisedAttentionIsTheirAttention() throws {
        var rnn = RNNConfiguration()
        (rnn.embeddingWidth, rnn.hiddenWidth, rnn.sourceVocabularySize, rnn.targetVocabularySize) = (8, 12, 14, 14)
        var conv = ConvConfiguration()
        (conv.layers, conv.channels, conv.embeddingWidth, conv.maximumPositions) = (2, 8, 8, 16)
        (conv.sourceVocabularySize, conv.targetVocabularySize) = (14, 14)
        let models: [(any Seq2SeqModel, AttentionChoice)] = [
            (RNNSeq2Seq(rnn, generator: &Self.generator), AttentionChoice(layer: 0, head: 0)),
            (ConvSeq2Seq(conv, generator: &Self.generator), AttentionChoice(layer: 1, head: 0)),
        ]
        for (m, choice) in models {
            XCTAssertTrue(m.canSupervise(choice))
            XCTAssertFalse(m.canSupervise(AttentionChoice(layer: 0, head: 1)))
            var single = batch
            single.alignments = [[AlignmentLink(source: 2, target: 1)], []]
            var pass = ForwardContext(isTraining: true)
            pass.guidance = AlignmentGuidance(choice: choice, weight: 1)
            let total = m.loss(single, context: &pass).item
            var plain = ForwardContext(isTraining: true)
            let crossEntropy = m.loss(single, context: &plain).item
            let forced = m.forcedAttention(single, layer: choice.layer, head: nil)
            XCTAssertEqual(exp(-(total - crossEntropy)) - 1e-6, forced[0][1][2], accuracy: 1e-4, "\(m.modelConfiguration.summary)")
        }
    }

    nonisolated(unsafe) private static var generator = SeededGenerator(seed: 11)

    /// Training options name the guidance, checked against the model.
    func testGuidanceOptionsAreCheckedAgainstTheModel() throws {
        var rnn = RNNConfiguration()
        (rnn.sourceVocabularySize, rnn.targetVocabularySize) = (10, 10)
        let m = RNNSeq2Seq(rnn, generator: &Self.generator)
        var options = TrainingOptions()
        XCTAssertNil(try options.alignmentGuidance(for: m))
        options.guidedAlignment = "train.align"
        XCTAssertEqual(try options.alignmentGuidance(for: m), AlignmentGuidance(choice: AttentionChoice(layer: 0, head: 0), weight: 0.1))
        options.alignmentHead = 2
        XCTAssertThrowsError(try options.alignmentGuidance(for: m)) { error in
            XCTAssertEqual("\(error)", "--alignment-head must be 1 … 1: the model has 1 head")
        }
        rnn.attention = .none
        XCTAssertThrowsError(try TrainingOptions.withGuidance.alignmentGuidance(for: RNNSeq2Seq(rnn, generator: &Self.generator))) { error in
            XCTAssertEqual("\(error)", "--guided-alignment needs a model with attention")
        }
        var c = TransformerConfiguration()
        (c.sourceVocabularySize, c.targetVocabularySize) = (10, 10)
        let transformer = Transformer(c, generator: &Self.generator)
        XCTAssertEqual(try TrainingOptions.withGuidance.alignmentGuidance(for: transformer)?.choice, AttentionChoice(layer: 1, head: 0),
                       "the last layer's first head, as Marian")
    }

    /// Guided by gold links, the attention of a small model learns them: its strongest source
    /// word is the gold one for every target word.
    func testGuidanceTeachesTheGoldAlignment() {
        var c = RNNConfiguration()
        (c.embeddingWidth, c.hiddenWidth, c.sourceVocabularySize, c.targetVocabularySize) = (16, 32, 12, 12)
        var generator = SeededGenerator(seed: 5)
        let m = RNNSeq2Seq(c, generator: &generator)
        let sources = [[4, 5, 6, 7], [8, 9, 10], [5, 11, 4, 9, 6], [7, 7, 8]]
        var batch = Batch(sources: sources, targets: sources.map { Array($0.reversed()) })
        batch.alignments = sources.map { s in Set(s.indices.map { AlignmentLink(source: s.count - 1 - $0, target: $0) }) }
        let optimizer = Adam(parameters: m.parameters, learningRate: 0.01)
        for _ in 0..<150 {
            var context = ForwardContext(isTraining: true)
            context.guidance = AlignmentGuidance(choice: AttentionChoice(layer: 0, head: 0), weight: 1)
            m.loss(batch, context: &context).backward()
            optimizer.step()
            optimizer.zeroGradients()
        }
        let attention = m.forcedAttention(batch)
        for (b, source) in sources.enumerated() {
            for t in source.indices {
                let row = attention[b][t]
                XCTAssertEqual(row.indices.max { row[$0] < row[$1] }, source.count - 1 - t, "pair \(b), word \(t): \(row)")
            }
        }
    }
}

extension TrainingOptions {
    /// Guided alignment on, everything else default.
    static var withGuidance: TrainingOptions {
        var options = TrainingOptions()
        options.guidedAlignment = "train.align"
        return options
    }
}
