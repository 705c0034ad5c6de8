import Autograd
import Seq2Seq
import XCTest

/// Hard attention (Xu et al. 2015, §4.1): the REINFORCE term against a hand-worked case and
/// against the gradient of the expected reward, the baseline, the soft/hard mixing, and which
/// location decoding reads.
final class HardAttentionTests: XCTestCase {
    /// `H` = 3, `M` = 2.
    private func mechanism(_ settings: HardAttentionSettings = HardAttentionSettings(), seed: UInt64 = 3) -> HardAttention {
        var generator = SeededGenerator(seed: seed)
        return HardAttention(AttentionShape(queryWidth: 3, memoryWidth: 2, window: 1, hard: settings), generator: &generator)
    }

    private func settings(reinforce: Float = 1, entropy: Float = 0, softMix: Float = 0) -> HardAttentionSettings {
        var s = HardAttentionSettings()
        (s.reinforce, s.entropy, s.softMix) = (reinforce, entropy, softMix)
        return s
    }

    /// The rewards: each sentence's `Σ_t log softmax(logits_t)[y_t]` over its tokens with `</s>`,
    /// padding left out, against a float64 sum worked here.
    func testSentenceLogLikelihoodsReadTheLogits() {
        let batch = Batch(sources: [[4, 5], [5]], targets: [[4, 5, 4], [5]])
        let (length, classes) = (batch.targetLength, 7)
        var generator = SeededGenerator(seed: 8)
        let logits = Tensor.uniform([batch.size, length, classes], low: -3, high: 3, generator: &generator)
        let got = PassOutcome(batch: batch, logits: logits).sentenceLogLikelihoods
        for b in 0..<batch.size {
            var expected = 0.0
            for t in 0..<length where batch.targetOutput[b * length + t] != SpecialToken.padding {
                let row = (0..<classes).map { Double(logits.data[(b * length + t) * classes + $0]) }
                expected += row[batch.targetOutput[b * length + t]] - log(row.reduce(0) { $0 + exp($1) })
            }
            XCTAssertEqual(Double(got[b]), expected, accuracy: 1e-5, "sentence \(b)")
        }
    }

    /// `α = softmax([0, ln 2, 0]) = [¼, ½, ¼]`, the sample `s̃ = 1`, `R = −1`, `T = 2`, `b̄ = −1.5`:
    /// `A = R − T b̄ = 2` and `∂L̃/∂e = −λ_r A (onehot(s̃) − α) / N = −2 · ([0, 1, 0] − α) = [½, −1, ½]`.
    func testReinforceGradientMatchesAHandWorkedCase() {
        let scores = Tensor(shape: [1, 1, 3], scalars: [0, Float(log(2.0)), 0], requiresGrad: true)
        let advantage: Float = -1 - 2 * -1.5
        let term = HardAttentionObjective.surrogate(
            logWeights: scores.logSoftmax(), weights: scores.softmax(), locations: [[1]], advantages: [advantage],
            targetLengths: [2], settings: settings(), tokenCount: 1)
        term.backward()
        let gradient = scores.grad?.scalars ?? []
        for (got, expected) in zip(gradient, [0.5, -1, 0.5] as [Float]) { XCTAssertEqual(got, expected, accuracy: 1e-6) }
        // The entropy bonus alone: ∂(Σ α log α)/∂e_i = α_i (log α_i − Σ_j α_j log α_j), scaled by λ_e / N.
        let entropyScores = Tensor(shape: [1, 1, 3], scalars: [0, Float(log(2.0)), 0], requiresGrad: true)
        HardAttentionObjective.surrogate(logWeights: entropyScores.logSoftmax(), weights: entropyScores.softmax(), locations: [[1]],
                                         advantages: [advantage], targetLengths: [2], settings: settings(reinforce: 0, entropy: 0.5),
                                         tokenCount: 2).backward()
        let alpha: [Double] = [0.25, 0.5, 0.25], mean = alpha.reduce(0) { $0 + $1 * log($1) }
        for (i, got) in (entropyScores.grad?.scalars ?? []).enumerated() {
            XCTAssertEqual(Double(got), 0.25 * alpha[i] * (log(alpha[i]) - mean), accuracy: 1e-6)
        }
        // Steps past the sentence's end (T = 1 here) and sentences that read expected contexts add nothing.
        let padded = Tensor(shape: [2, 2, 3], scalars: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], requiresGrad: true)
        HardAttentionObjective.surrogate(logWeights: padded.logSoftmax(), weights: padded.softmax(), locations: [[0, 2], [nil, nil]],
                                         advantages: [1, 7], targetLengths: [1, 2], settings: settings(entropy: 0.3), tokenCount: 3).backward()
        XCTAssertEqual(Array((padded.grad?.scalars ?? [])[3...]), Array(repeating: 0, count: 9))
    }

    /// The term a pass adds has the value 0, applies `A = R − T · b̄` with the baseline as it was
    /// before the pass, then moves the baseline by the pass's log-likelihood per token.
    func testObjectiveUsesTheBaselineBeforeUpdatingIt() throws {
        let attention = mechanism(settings(softMix: 0))
        attention.baseline.data[0] = -1.5
        let memory = attention.prepare(outputs: Tensor(shape: [1, 3, 2], scalars: [1, 0, 0, 1, 1, 1]), mask: Tensor.ones([1, 3]))
        let query = Tensor(shape: [1, 3], scalars: [0.3, -0.2, 0.5], requiresGrad: true)
        var context = ForwardContext(isTraining: true, generator: SeededGenerator(seed: 9))
        _ = attention(query: query, memory: memory, step: 0, coverage: nil, context: &context)
        let objective = try XCTUnwrap(context.lossTerm(of: HardAttentionObjective.self, owner: memory.keys))
        let location = try XCTUnwrap(objective.locations.first?.first ?? nil)
        let batch = Batch(sources: [[4, 5]], targets: [[6]])  // T = 2 with </s>
        let term = objective.loss(PassOutcome(batch: batch, sentenceLogLikelihoods: [-1]))
        XCTAssertEqual(term.item, 0, "added for its gradient only")
        term.backward()
        let viaObjective = query.grad?.scalars ?? []
        // By hand: −λ_r A ∇ log α_s̃ / N, with A = −1 − 2 · (−1.5) = 2 and N = 2.
        query.zeroGrad()
        var scoring = ForwardContext.inference
        let weights = attention(query: query, memory: memory, step: 0, coverage: nil, context: &scoring).weights
        (weights.log().slice(axis: 1, start: location, length: 1).sum() * (-2 / 2)).backward()
        for (a, b) in zip(viaObjective, query.grad?.scalars ?? []) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(attention.baseline.data[0], 0.9 * -1.5 + 0.1 * (-1 / 2), accuracy: 1e-6)
    }

    func testBaselineIsAMovingAverageWithDecay09() {
        XCTAssertEqual(HardAttentionObjective.updatedBaseline(0, observing: -2), -0.2, accuracy: 1e-7)
        XCTAssertEqual(HardAttentionObjective.updatedBaseline(-0.2, observing: -2), -0.38, accuracy: 1e-7)
        // Over a pass: the sampled sentences' log-likelihood per token, Σ R / Σ T; expected ones are left out.
        let attention = mechanism(settings(softMix: 0))
        attention.baseline.data[0] = -1
        let memory = attention.prepare(outputs: Tensor.ones([2, 3, 2]), mask: Tensor.ones([2, 3]))
        var context = ForwardContext(isTraining: true)
        _ = attention(query: Tensor.ones([2, 3], requiresGrad: true), memory: memory, step: 0, coverage: nil, context: &context)
        let objective = context.lossTerm(of: HardAttentionObjective.self, owner: memory.keys)
        let batch = Batch(sources: [[4], [4]], targets: [[5], [5, 6]])  // T = 2 and 3
        _ = objective?.loss(PassOutcome(batch: batch, sentenceLogLikelihoods: [-3, -5]))
        XCTAssertEqual(attention.baseline.data[0], 0.9 * -1 + 0.1 * (-8 / 5), accuracy: 1e-6)
        XCTAssertEqual(attention.namedBuffers.map(\.name), ["baseline"])
        XCTAssertFalse(attention.namedParameters.contains { $0.name == "baseline" }, "a buffer, not a parameter")
    }

    /// A tiny model: hard attention over three annotations, and the reward `r(c) = log softmax(W c)_y`
    /// of the context it reads. The expected reward `J = Σ_s α_s r(h_s)` is differentiated exactly;
    /// the mean of the per-sample gradients, `∇r(h_s̃) + λ_r (r(h_s̃) − b) ∇ log α_s̃`, must approach
    /// it, and without the REINFORCE term it must not.
    func testMonteCarloEstimateMatchesTheGradientOfTheExpectedReward() {
        func gradients(_ attention: HardAttention, _ query: Tensor, _ w: Tensor) -> [Float] {
            (attention.parameters + [query, w]).flatMap { $0.grad?.scalars ?? Array(repeating: 0, count: $0.count) }
        }
        let values = Tensor(shape: [1, 3, 2], scalars: [1.0, -0.5, -0.3, 0.8, 0.4, 0.4])
        let exact: [Float], estimates: [[Float]]
        do {
            let attention = mechanism(settings(softMix: 0))
            let memory = attention.prepare(outputs: values, mask: Tensor.ones([1, 3]))
            let query = Tensor(shape: [1, 3], scalars: [0.9, -1.2, 0.6], requiresGrad: true)
            let w = Tensor(shape: [4, 2], scalars: [0.7, -0.2, -0.9, 1.1, 0.3, 0.5, -0.4, -0.8], requiresGrad: true)
            func reward(_ context: Tensor) -> Tensor { context.matmul(w, transposeB: true).logSoftmax().slice(axis: 1, start: 1, length: 1).sum() }
            var scoring = ForwardContext.inference
            let alpha = attention(query: query, memory: memory, step: 0, coverage: nil, context: &scoring).weights
            let rewards = (0..<3).map { reward(values.select(axis: 1, index: $0)) }
            let j = (0..<3).map { alpha.slice(axis: 1, start: $0, length: 1).sum() * rewards[$0] }.reduce(Tensor(0)) { $0 + $1 }
            (-j).backward()
            exact = gradients(attention, query, w)

            var results = [[Float]]()
            for reinforce: Float in [1, 0] {
                let sampler = mechanism(settings(reinforce: reinforce, softMix: 0))
                query.zeroGrad()
                w.zeroGrad()
                var context = ForwardContext(isTraining: true, generator: SeededGenerator(seed: 5))
                let batch = Batch(sources: [[4, 5]], targets: [[]])  // one target step: N = T = 1
                let draws = 20_000
                for _ in 0..<draws {
                    // Prepared in every pass, as training does: a backward pass clears the tape.
                    let samplerMemory = sampler.prepare(outputs: values, mask: Tensor.ones([1, 3]))
                    let (read, _) = sampler(query: query, memory: samplerMemory, step: 0, coverage: nil, context: &context)
                    let r = reward(read)
                    let objective = context.lossTerm(of: HardAttentionObjective.self, owner: samplerMemory.keys)
                    let surrogate = objective?.loss(PassOutcome(batch: batch, sentenceLogLikelihoods: [r.item])) ?? Tensor(0)
                    (-r + surrogate).backward()
                    context = ForwardContext(isTraining: true, generator: context.generator)
                }
                results.append(gradients(sampler, query, w).map { $0 / Float(draws) })
            }
            estimates = results
        }
        func relativeError(_ a: [Float], _ b: [Float]) -> Float {
            let difference = zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            return difference / b.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        }
        XCTAssertEqual(exact.count, estimates[0].count)
        XCTAssertLessThan(relativeError(estimates[0], exact), 0.05, "REINFORCE estimate \(estimates[0]) vs exact \(exact)")
        XCTAssertGreaterThan(relativeError(estimates[1], exact), 0.2, "without REINFORCE the attention's gradient is missing")
    }

    /// With probability `p` a sentence reads expected contexts for the whole pass; with `p = 1`
    /// hard attention trains exactly as Bahdanau's, with `p = 0` every context is one annotation.
    func testSoftMixing() throws {
        let values = Tensor(shape: [8, 3, 2], scalars: (0..<48).map { Float($0 % 7) * 0.3 - 1 })
        let attention = mechanism(settings(softMix: 0.5))
        let memory = attention.prepare(outputs: values, mask: Tensor.ones([8, 3]))
        var context = ForwardContext(isTraining: true, generator: SeededGenerator(seed: 2))
        var expected = 0, total = 0
        for _ in 0..<200 {
            var pass = ForwardContext(isTraining: true, generator: context.generator)
            _ = attention(query: Tensor.ones([8, 3]), memory: memory, step: 0, coverage: nil, context: &pass)
            _ = attention(query: Tensor.ones([8, 3]), memory: memory, step: 1, coverage: nil, context: &pass)
            let objective = try XCTUnwrap(pass.lossTerm(of: HardAttentionObjective.self, owner: memory.keys))
            XCTAssertEqual(objective.locations.count, 2, "one objective per pass, a record per step")
            for (b, isExpected) in objective.expected.enumerated() {
                XCTAssertEqual(objective.locations.map { $0[b] == nil }, [isExpected, isExpected], "a sentence mixes for the whole pass")
            }
            expected += objective.expected.filter { $0 }.count
            total += objective.expected.count
            context.generator = pass.generator
        }
        XCTAssertEqual(Double(expected) / Double(total), 0.5, accuracy: 0.05)

        let sampling = mechanism(settings(softMix: 0))
        let samplingMemory = sampling.prepare(outputs: values, mask: Tensor.ones([8, 3]))
        var pass = ForwardContext(isTraining: true)
        let (read, _) = sampling(query: Tensor.ones([8, 3]), memory: samplingMemory, step: 0, coverage: nil, context: &pass)
        let locations = try XCTUnwrap(pass.lossTerm(of: HardAttentionObjective.self, owner: samplingMemory.keys)?.locations.first)
        for (b, location) in locations.enumerated() {
            XCTAssertEqual(read.data[b * 2], values.data[(b * 3 + (location ?? -1)) * 2])
            XCTAssertEqual(read.data[b * 2 + 1], values.data[(b * 3 + (location ?? -1)) * 2 + 1])
        }

        // p = 1: the same weights as Bahdanau's (the same draws) and the same loss and gradients.
        func model(_ attention: AttentionKind) -> RNNSeq2Seq {
            var c = RNNConfiguration()
            (c.attention, c.embeddingWidth, c.hiddenWidth, c.sourceVocabularySize, c.targetVocabularySize) = (attention, 8, 12, 10, 10)
            c.hard.softMix = 1
            var generator = SeededGenerator(seed: 4)
            return RNNSeq2Seq(c, generator: &generator)
        }
        let batch = Batch(sources: [[4, 5, 6], [7, 8]], targets: [[6, 5, 4], [8, 7]])
        let (hard, soft) = (model(.hard), model(.bahdanau))
        var losses = [Float]()
        for m in [hard, soft] {
            var context = ForwardContext(isTraining: true)
            let loss = m.loss(batch, context: &context)
            losses.append(loss.item)
            loss.backward()  // one model at a time: a backward pass clears the tape
        }
        XCTAssertEqual(losses[0], losses[1])
        XCTAssertEqual(hard.parameters.map { $0.grad?.scalars ?? [] }, soft.parameters.map { $0.grad?.scalars ?? [] })
        XCTAssertFalse(soft.parameters.contains { $0.grad == nil })
    }

    /// Decoding reads the most probable location, scoring the expected context; both return `α`.
    func testDecodingReadsTheMostProbableLocation() {
        let attention = mechanism()
        let values = Tensor(shape: [2, 3, 2], scalars: [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, 0, 0])
        let memory = attention.prepare(outputs: values, mask: Tensor(shape: [2, 3], scalars: [1, 1, 1, 1, 1, 0]))
        let query = Tensor(shape: [2, 3], scalars: [0.5, -1, 2, 1, 1, -0.5])
        var decoding = ForwardContext.decoding, scoring = ForwardContext.inference
        let (read, weights) = attention(query: query, memory: memory, step: 0, coverage: nil, context: &decoding)
        let (expected, sameWeights) = attention(query: query, memory: memory, step: 0, coverage: nil, context: &scoring)
        XCTAssertEqual(weights.scalars, sameWeights.scalars)
        XCTAssertEqual(weights.data[5], 0, "padding gets no weight")
        let best = HardAttention.mostProbable(weights)
        XCTAssertLessThan(best[1], 2, "never a padded position")
        for b in 0..<2 {
            XCTAssertEqual(Array(read.scalars[(2 * b)..<(2 * b + 2)]), Array(values.scalars[((b * 3 + best[b]) * 2)..<((b * 3 + best[b]) * 2 + 2)]))
            let mean = (0..<2).map { m in (0..<3).reduce(Float(0)) { $0 + weights.data[b * 3 + $1] * values.data[(b * 3 + $1) * 2 + m] } }
            for m in 0..<2 { XCTAssertEqual(expected.data[b * 2 + m], mean[m], accuracy: 1e-5) }
        }
    }

    /// A hard-attention model learns a handful of reversals: REINFORCE and the mixing together
    /// make the most probable location the one decoding needs.
    func testAHardAttentionModelLearnsAndItsBaselineTravelsInCheckpoints() throws {
        var c = RNNConfiguration()
        (c.attention, c.embeddingWidth, c.hiddenWidth, c.sourceVocabularySize, c.targetVocabularySize) = (.hard, 16, 32, 12, 12)
        var generator = SeededGenerator(seed: 5)
        let m = RNNSeq2Seq(c, generator: &generator)
        XCTAssertTrue(m.namedState.contains { $0.name == "decoder.attention.baseline" })
        XCTAssertFalse(m.namedParameters.contains { $0.name == "decoder.attention.baseline" })
        let sources = [[4, 5, 6, 7], [8, 9, 10], [5, 11, 4, 9, 6], [7, 7, 8]]
        let targets = sources.map { Array($0.reversed()) }
        let batch = Batch(sources: sources, targets: targets)
        let optimizer = Adam(parameters: m.parameters, learningRate: 0.01)
        var context = ForwardContext(isTraining: true)
        for _ in 0..<200 {
            m.loss(batch, context: &context).backward()
            optimizer.step()
            optimizer.zeroGradients()
        }
        XCTAssertLessThan(m.namedBuffers[0].tensor.data[0], 0, "the baseline follows the log-likelihood")
        let decoded = GreedySearch.decode(m, sources: sources, maximumLength: { $0 + 5 })
        XCTAssertEqual(decoded.map { Array($0.tokens.dropLast()) }, targets)
        var copy = SeededGenerator(seed: 6)
        let other = RNNSeq2Seq(c, generator: &copy)
        try ModelState.load(m.namedState, into: other)
        XCTAssertEqual(other.namedBuffers[0].tensor.data[0], m.namedBuffers[0].tensor.data[0])
    }
}
