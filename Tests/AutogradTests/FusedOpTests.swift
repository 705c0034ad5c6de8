import Autograd
import XCTest

/// Each fused op against the same computation composed from primitive ops: values and gradients.
final class FusedOpTests: XCTestCase {
    func testGRUCellMatchesComposedForm() {
        var g = SeededGenerator(seed: 11)
        let inputs = [random([3, 15], &g, -2, 2), random([3, 15], &g, -2, 2), random([3, 5], &g)]
        assertSameValuesAndGradients(inputs, fused: { Tensor.gruCell(inputGates: $0[0], hiddenGates: $0[1], hidden: $0[2]) }) { x in
            let (gi, gh, h) = (x[0], x[1], x[2])
            func gate(_ t: Tensor, _ k: Int) -> Tensor { t.slice(axis: 1, start: 5 * k, length: 5) }
            let r = (gate(gi, 0) + gate(gh, 0)).sigmoid()
            let z = (gate(gi, 1) + gate(gh, 1)).sigmoid()
            let n = (gate(gi, 2) + r * gate(gh, 2)).tanh()
            return (1 - z) * n + z * h
        }
    }

    func testLSTMCellMatchesComposedForm() {
        var g = SeededGenerator(seed: 12)
        let inputs = [random([3, 20], &g, -2, 2), random([3, 5], &g)]
        assertSameValuesAndGradients(inputs, fused: { Tensor.lstmCell(gates: $0[0], cell: $0[1]) }) { x in
            func gate(_ k: Int) -> Tensor { x[0].slice(axis: 1, start: 5 * k, length: 5) }
            let c = gate(1).sigmoid() * x[1] + gate(0).sigmoid() * gate(2).tanh()
            let h = gate(3).sigmoid() * c.tanh()
            return Tensor.stack([h, c], axis: 0)
        }
    }

    func testAdditiveScoresMatchComposedForm() {
        var g = SeededGenerator(seed: 13)
        let inputs = [random([2, 6], &g), random([2, 4, 6], &g), random([6], &g)]
        assertSameValuesAndGradients(inputs, fused: { Tensor.additiveScores(query: $0[0], keys: $0[1], vector: $0[2]) }) { x in
            let t = (x[0].reshaped([2, 1, 6]) + x[1]).tanh()
            return t.matmul(x[2].reshaped([6, 1])).reshaped([2, 4])
        }
    }

    /// Widths below, at and across the 16 lanes, and batches across the pullback's chunks of 4.
    func testAdditiveScoresWithCoverageMatchComposedForm() {
        var g = SeededGenerator(seed: 15)
        for (batch, length, width) in [(2, 4, 6), (5, 3, 16), (6, 4, 21)] {
            let inputs = [random([batch, width], &g), random([batch, length, width], &g), random([width], &g),
                          random([batch, length], &g, 0, 2), random([width], &g)]
            assertSameValuesAndGradients(inputs, fused: {
                Tensor.additiveScores(query: $0[0], keys: $0[1], vector: $0[2], coverage: $0[3], coverageWeights: $0[4])
            }) { x in
                let t = (x[0].reshaped([batch, 1, width]) + x[1] + x[3].reshaped([batch, length, 1]) * x[4]).tanh()
                return t.matmul(x[2].reshaped([width, 1])).reshaped([batch, length])
            }
        }
    }

    /// `linearReLU` is `linear` then `relu`, to the bit, values and gradients, on the float32
    /// path and the best bf16 one (whose tile rectifies as it stores): thin and wide, over several
    /// bf16 depth blocks, with a weight packed for the scope or not.
    func testLinearReLUMatchesLinearThenReLU() {
        let saved = GEMM.path
        defer { GEMM.path = saved }
        var g = SeededGenerator(seed: 18)
        for path in [MatrixPath.fp32] + (MatrixPath.bestBF16.map { [$0] } ?? []) {
            GEMM.path = path
            for (rows, inputs, outputs) in [(3, 4, 5), (70, 33, 40), (64, 1030, 96)] {
                let parameters = [random([rows, inputs], &g), random([outputs, inputs], &g), random([outputs], &g)]
                for frozen in [false, true] {
                    func run(_ body: @escaping ([Tensor]) -> Tensor) -> ([Tensor]) -> Tensor {
                        { x in frozen ? withFrozenParameters { body(x) } : body(x) }
                    }
                    assertSameValuesAndGradients(parameters, tolerance: 0,
                                                 fused: run { $0[0].linearReLU($0[1], bias: $0[2]) },
                                                 composed: run { $0[0].linear($0[1], bias: $0[2]).relu() })
                }
            }
        }
    }

    /// `linearReLU`'s pullback masks the gradient it receives where it lies: a term added to the
    /// ReLU's output, whose gradient comes from the same sum, keeps its unmasked gradient, and
    /// so does an output used twice.
    func testLinearReLUMasksOnlyItsOwnGradient() {
        var g = SeededGenerator(seed: 20)
        let (rows, inputs, outputs) = (70, 33, 40)
        let parameters = [random([rows, inputs], &g), random([outputs, inputs], &g), random([outputs], &g),
                          random([rows, outputs], &g), random([rows, outputs], &g)]
        assertSameValuesAndGradients(parameters, tolerance: 0,
                                     fused: { ($0[0].linearReLU($0[1], bias: $0[2]) + $0[3]) * $0[4] },
                                     composed: { ($0[0].linear($0[1], bias: $0[2]).relu() + $0[3]) * $0[4] })
        assertSameValuesAndGradients(parameters, tolerance: 0,
                                     fused: { ($0[3] + $0[0].linearReLU($0[1], bias: $0[2])) * $0[4] },
                                     composed: { ($0[3] + $0[0].linear($0[1], bias: $0[2]).relu()) * $0[4] })
        assertSameValuesAndGradients(parameters, tolerance: 0,
                                     fused: { x in let y = x[0].linearReLU(x[1], bias: x[2]); return (y + y) * x[4] + y * x[3] },
                                     composed: { x in let y = x[0].linear(x[1], bias: x[2]).relu(); return (y + y) * x[4] + y * x[3] })
    }

    /// `layerNorm(adding:)` is the sum then `layerNorm`, to the bit, values and gradients: widths
    /// below and across 16 lanes, enough rows to split between threads, a term added to itself.
    func testLayerNormOfASumMatchesAddThenLayerNorm() {
        var g = SeededGenerator(seed: 19)
        for (rows, width) in [(3, 6), (70, 40), (1280, 256)] {
            let inputs = [random([rows, width], &g), random([rows, width], &g), random([width], &g), random([width], &g)]
            assertSameValuesAndGradients(inputs, tolerance: 0, fused: { $0[0].layerNorm(adding: $0[1], gain: $0[2], bias: $0[3]) },
                                         composed: { ($0[0] + $0[1]).layerNorm(gain: $0[2], bias: $0[3]) })
            assertSameValuesAndGradients(inputs, tolerance: 0,
                                         fused: { $0[0].layerNorm(adding: $0[0], gain: $0[2], bias: $0[3]) * $0[1] },
                                         composed: { ($0[0] + $0[0]).layerNorm(gain: $0[2], bias: $0[3]) * $0[1] })
        }
    }

    /// Widths below, at and across the 16 lanes; batches long enough to be split between threads.
    func testAttentionContextMatchesComposedForm() {
        var g = SeededGenerator(seed: 16)
        for (batch, length, width) in [(2, 4, 6), (3, 5, 16), (40, 16, 70)] {
            let inputs = [random([batch, length], &g), random([batch, length, width], &g)]
            assertSameValuesAndGradients(inputs, fused: { Tensor.attentionContext(weights: $0[0], values: $0[1]) }) { x in
                x[0].reshaped([batch, 1, length]).batchedMatmul(x[1]).reshaped([batch, width])
            }
        }
    }

    /// On a bf16 path the fused context reads its operands rounded, as the composed form's
    /// products do (float32 reads would differ by about 2⁻⁹ of each term).
    func testAttentionContextRoundsOnBF16Paths() throws {
        let path = try XCTUnwrap(MatrixPath.bestBF16, "SKIPPED: this CPU has no bf16 path")
        let saved = GEMM.path
        defer { GEMM.path = saved }
        GEMM.path = path
        var g = SeededGenerator(seed: 17)
        let (batch, length, width) = (5, 6, 40)
        let inputs = [random([batch, length], &g), random([batch, length, width], &g)]
        assertSameValuesAndGradients(inputs, fused: { Tensor.attentionContext(weights: $0[0], values: $0[1]) }) { x in
            x[0].reshaped([batch, 1, length]).batchedMatmul(x[1]).reshaped([batch, width])
        }
    }

    /// `h̄` rounded once (`ContextValues`) gives the context and its gradients of `h̄` rounded as
    /// it is read, to the bit, over several steps that read it (the gradient goes to `h̄`); and
    /// a copy rounded for another path than the current one is not used.
    func testContextValuesRoundedOnceMatchRoundingAsRead() throws {
        let path = try XCTUnwrap(MatrixPath.bestBF16, "SKIPPED: this CPU has no bf16 path")
        let saved = GEMM.path
        defer { GEMM.path = saved }
        var g = SeededGenerator(seed: 21)
        let (batch, length, width) = (40, 16, 70)
        let inputs = [random([batch, length], &g), random([batch, length], &g), random([batch, length, width], &g)]
        for (made, used) in [(path, path), (MatrixPath.fp32, path), (path, MatrixPath.fp32)] {
            GEMM.path = made
            let cases = [false, true].map { once in
                { (x: [Tensor]) -> Tensor in
                    let values = ContextValues(x[2], roundedOnce: once)
                    GEMM.path = used
                    return Tensor.attentionContext(weights: x[0], values: values) * Tensor.attentionContext(weights: x[1], values: values)
                }
            }
            assertSameValuesAndGradients(inputs, tolerance: 0, fused: { GEMM.path = made; return cases[1]($0) },
                                         composed: { GEMM.path = made; return cases[0]($0) })
        }
    }

    // MARK: - Recurrent layer

    /// The fused layer against its steps composed from `matmul`, the cell ops and the blend
    /// `h + m (h̃ − h)`, for every cell kind, both directions and padding, with the directions on
    /// one thread and on two.
    func testRecurrentLayerMatchesComposedSteps() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let (length, batch, width) = (4, 3, 5)
        let mask: [[Float]] = [[1, 1, 1], [1, 1, 1], [1, 0, 1], [1, 0, 0]]
        for (threads, kind) in [(1, RecurrentCellKind.tanh), (2, .tanh), (1, .gru), (2, .gru), (1, .lstm), (2, .lstm)] {
            Parallel.threadCount = threads
            var g = SeededGenerator(seed: 14)
            let gates = kind.gates * width
            let inputs = [random([length, batch, gates], &g, -2, 2), random([length, batch, gates], &g, -2, 2),
                          random([gates, width], &g), random([gates, width], &g), random([gates], &g), random([gates], &g)]
            assertSameValuesAndGradients(inputs, fused: {
                Tensor.recurrentLayer(kind: kind, inputGates: [$0[0], $0[1]], hiddenWeights: [$0[2], $0[3]],
                                      hiddenBiases: [$0[4], $0[5]], mask: mask)
            }) { x in
                var directions = [Tensor]()
                for d in 0..<2 {
                    var h = Tensor.zeros([batch, width]), c = Tensor.zeros([batch, width])
                    var steps = [Tensor?](repeating: nil, count: length)
                    for t in d == 0 ? Array(0..<length) : Array((0..<length).reversed()) {
                        let gi = x[d].select(axis: 0, index: t), gh = h.matmul(x[2 + d], transposeB: true) + x[4 + d]
                        var new = h, newCell = c
                        switch kind {
                        case .tanh: new = (gi + gh).tanh()
                        case .gru: new = Tensor.gruCell(inputGates: gi, hiddenGates: gh, hidden: h)
                        case .lstm:
                            let both = Tensor.lstmCell(gates: gi + gh, cell: c)
                            (new, newCell) = (both.select(axis: 0, index: 0), both.select(axis: 0, index: 1))
                        }
                        let m = Tensor(shape: [batch, 1], scalars: mask[t])
                        h = h + m * (new - h)
                        c = c + m * (newCell - c)
                        steps[t] = h
                    }
                    directions.append(Tensor.stack(steps.compactMap { $0 }, axis: 0))
                }
                return Tensor.concat(directions, axis: 2)
            }
        }
    }

    // MARK: - Scaled dot-product attention

    func testScaledDotProductAttentionMatchesComposedForm() {
        assertAttentionMatchesComposedForm(batch: 2, target: 3, source: 4, heads: 2, headWidth: 3, seed: 14)
    }

    func testScaledDotProductAttentionWithKeyMaskMatchesComposedForm() {
        // The last sequence is all padding: its rows must be zeros (the composed softmax's too).
        let keyMask = Tensor(shape: [3, 4], scalars: [1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0])
        assertAttentionMatchesComposedForm(batch: 3, target: 3, source: 4, heads: 2, headWidth: 3,
                                           keyMask: keyMask, seed: 15)
    }

    func testCausalScaledDotProductAttentionMatchesComposedForm() {
        // T == S: s ≤ t.
        assertAttentionMatchesComposedForm(batch: 2, target: 4, source: 4, heads: 2, headWidth: 3, causal: true, seed: 16)
        // T < S (a target continuing a cached prefix), with key padding: s ≤ t + 2.
        let keyMask = Tensor(shape: [2, 5], scalars: [1, 1, 1, 1, 1, 0, 1, 1, 1, 0])
        assertAttentionMatchesComposedForm(batch: 2, target: 3, source: 5, heads: 2, headWidth: 3,
                                           keyMask: keyMask, causal: true, seed: 17)
        // T > S: the first two query rows may attend no key and must come out as zeros.
        assertAttentionMatchesComposedForm(batch: 2, target: 4, source: 2, heads: 2, headWidth: 3, causal: true, seed: 18)
    }

    /// Rows of up to 32 keys are normalised in registers, longer ones in passes over the row:
    /// source lengths on both sides of 16 and 32, with padding that leaves 0, 1, 15, 16, 17 or
    /// all keys and the causal limit.
    func testScaledDotProductAttentionAtRowLengthsAroundTheShortPath() {
        for (index, source) in [15, 16, 17, 31, 32, 33, 47].enumerated() {
            let lengths = [0, 1, 15, 16, 17, source].map { min($0, source) }
            let keyMask = Tensor(shape: [lengths.count, source],
                                 scalars: lengths.flatMap { n in (0..<source).map { $0 < n ? 1 : 0 } })
            for causal in [false, true] {
                assertAttentionMatchesComposedForm(batch: lengths.count, target: 5, source: source, heads: 2, headWidth: 3,
                                                   keyMask: keyMask, causal: causal, seed: 30 + UInt64(index))
            }
        }
    }

    /// `B·h·T·S·d = 294,912` multiply-adds per product, past the op's parallel threshold (2¹⁶):
    /// the (batch entry, head) pairs run on the `Parallel` pool, forward and backward.
    func testScaledDotProductAttentionParallelPathMatchesComposedForm() {
        let lengths = [24, 20, 17, 24, 9, 24, 1, 13]
        let keyMask = Tensor(shape: [8, 24], scalars: lengths.flatMap { n in (0..<24).map { $0 < n ? 1 : 0 } })
        assertAttentionMatchesComposedForm(batch: 8, target: 24, source: 24, heads: 4, headWidth: 16,
                                           keyMask: keyMask, seed: 19, tolerance: 1e-4)
        assertAttentionMatchesComposedForm(batch: 8, target: 24, source: 24, heads: 4, headWidth: 16,
                                           keyMask: keyMask, causal: true, seed: 20, tolerance: 1e-4)

        // The pool must not change a single bit: every pair runs the same code either way.
        var g = SeededGenerator(seed: 21)
        let inputs = [random([8, 24, 64], &g, -2, 2), random([8, 24, 64], &g, -2, 2), random([8, 24, 64], &g, -2, 2)]
        let pooled = runAttention(inputs, heads: 4, keyMask: keyMask, causal: true)
        let threads = Parallel.threadCount
        Parallel.threadCount = 1
        defer { Parallel.threadCount = threads }
        let serial = runAttention(inputs, heads: 4, keyMask: keyMask, causal: true)
        XCTAssertEqual(pooled.output, serial.output)
        XCTAssertEqual(pooled.weights, serial.weights)
        XCTAssertEqual(pooled.gradients, serial.gradients)
    }

    /// One decoding step (T = 1) sees the whole cache: causal or not, the same values and gradients.
    func testCausalIncrementalDecodingStepAttendsEveryKey() {
        var g = SeededGenerator(seed: 22)
        let inputs = [random([2, 1, 6], &g, -2, 2), random([2, 5, 6], &g, -2, 2), random([2, 5, 6], &g, -2, 2)]
        let keyMask = Tensor(shape: [2, 5], scalars: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
        for mask in [nil, keyMask] {
            let causal = runAttention(inputs, heads: 2, keyMask: mask, causal: true)
            let plain = runAttention(inputs, heads: 2, keyMask: mask, causal: false)
            XCTAssertEqual(causal.output, plain.output)
            XCTAssertEqual(causal.weights, plain.weights)
            XCTAssertEqual(causal.gradients, plain.gradients)
            // And no key was dropped: every unpadded weight is positive.
            let allowed = mask.map { m in (0..<2).flatMap { b in (0..<2).flatMap { _ in (0..<5).map { m[b, $0] != 0 } } } }
            for (i, w) in causal.weights.enumerated() where allowed?[i] ?? true {
                XCTAssertGreaterThan(w, 0, "weight \(i)")
            }
        }
    }

    /// Self-attention passes one tensor as query, key and value: the three pullback terms must
    /// add into its one gradient buffer, none overwriting another.
    func testSelfAttentionAccumulatesIntoOneGradient() {
        var g = SeededGenerator(seed: 24)
        let keyMask = Tensor(shape: [2, 4], scalars: [1, 1, 1, 0, 1, 1, 1, 1])
        assertSameValuesAndGradients([random([2, 4, 6], &g, -2, 2)], fused: {
            Tensor.scaledDotProductAttention(query: $0[0], key: $0[0], value: $0[0], heads: 2,
                                             keyMask: keyMask, causal: true).output
        }, composed: {
            Self.composedAttention($0[0], $0[0], $0[0], heads: 2, keyMask: keyMask, causal: true).output
        })
    }

    /// Gradients go only to the inputs that require them, and are the same as when all do.
    func testScaledDotProductAttentionGradientOnlyWhereRequired() {
        var g = SeededGenerator(seed: 23)
        let inputs = [random([2, 3, 6], &g), random([2, 4, 6], &g), random([2, 4, 6], &g)]
        let all = runAttention(inputs, heads: 2, keyMask: nil, causal: true)
        for wanted in 0..<3 {
            let copies = inputs.map { $0.copy() }
            copies[wanted].requiresGrad = true
            let out = Tensor.scaledDotProductAttention(query: copies[0], key: copies[1], value: copies[2],
                                                       heads: 2, causal: true).output
            var generator = SeededGenerator(seed: 99)
            out.backward(seed: Tensor.normal(out.shape, generator: &generator))
            for (i, copy) in copies.enumerated() {
                if i == wanted {
                    XCTAssertEqual(copy.grad?.scalars, all.gradients[i], "input \(i)")
                } else {
                    XCTAssertNil(copy.grad, "input \(i) needs no gradient")
                }
            }
        }
    }

    /// Fused against composed on random `[B, T, h·d]`, `[B, S, h·d]`, `[B, S, h·d]` inputs:
    /// output values and gradients, the weights, and that the weights are a distribution over
    /// the allowed keys (exact zeros elsewhere, all zeros when no key is allowed).
    private func assertAttentionMatchesComposedForm(batch: Int, target: Int, source: Int, heads: Int, headWidth: Int,
                                                    keyMask: Tensor? = nil, causal: Bool = false, seed: UInt64,
                                                    tolerance: Float = 1e-5,
                                                    file: StaticString = #filePath, line: UInt = #line) {
        var g = SeededGenerator(seed: seed)
        let width = heads * headWidth
        let inputs = [random([batch, target, width], &g, -2, 2), random([batch, source, width], &g, -2, 2),
                      random([batch, source, width], &g, -2, 2)]
        assertSameValuesAndGradients(inputs, tolerance: tolerance, fused: {
            Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], heads: heads,
                                             keyMask: keyMask, causal: causal).output
        }, composed: {
            Self.composedAttention($0[0], $0[1], $0[2], heads: heads, keyMask: keyMask, causal: causal).output
        }, file: file, line: line)

        let weights = withoutGradients {
            Tensor.scaledDotProductAttention(query: inputs[0], key: inputs[1], value: inputs[2], heads: heads,
                                             keyMask: keyMask, causal: causal).weights
        }
        let composed = withoutGradients {
            Self.composedAttention(inputs[0], inputs[1], inputs[2], heads: heads, keyMask: keyMask, causal: causal).weights
        }
        XCTAssertEqual(weights.shape, [batch, heads, target, source], file: file, line: line)
        assertClose(weights.scalars, composed.scalars, tolerance: tolerance, file: file, line: line)
        for b in 0..<batch {
            for j in 0..<heads {
                for t in 0..<target {
                    var sum: Float = 0, anyAllowed = false
                    for s in 0..<source {
                        let allowed = (keyMask.map { $0[b, s] != 0 } ?? true) && (!causal || s <= t + source - target)
                        anyAllowed = anyAllowed || allowed
                        if !allowed {
                            XCTAssertEqual(weights[b, j, t, s], 0, "masked weight [\(b), \(j), \(t), \(s)]", file: file, line: line)
                        }
                        sum += weights[b, j, t, s]
                    }
                    XCTAssertEqual(sum, anyAllowed ? 1 : 0, accuracy: 1e-5, "row [\(b), \(j), \(t)]", file: file, line: line)
                }
            }
        }
    }

    /// Output, weights and gradients of the fused op on copies of `inputs`, with the same seed as
    /// `assertSameValuesAndGradients`.
    private func runAttention(_ inputs: [Tensor], heads: Int, keyMask: Tensor?, causal: Bool)
        -> (output: [Float], weights: [Float], gradients: [[Float]]) {
        let copies = inputs.map { t -> Tensor in let c = t.copy(); c.requiresGrad = true; return c }
        let (out, weights) = Tensor.scaledDotProductAttention(query: copies[0], key: copies[1], value: copies[2],
                                                              heads: heads, keyMask: keyMask, causal: causal)
        var generator = SeededGenerator(seed: 99)
        out.backward(seed: Tensor.normal(out.shape, generator: &generator))
        return (out.scalars, weights.scalars, copies.map { $0.grad!.scalars })
    }

    /// The composed form (§3.2.2 as written): split the heads with reshape and permute,
    /// `Q Kᵀ · 1/√d`, masked softmax, `P V`, merge the heads back.
    private static func composedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int,
                                          keyMask: Tensor?, causal: Bool) -> (output: Tensor, weights: Tensor) {
        let batch = q.shape[0], target = q.shape[1], source = k.shape[1], width = q.shape[2]
        let headWidth = width / heads
        func split(_ x: Tensor, _ length: Int) -> Tensor {
            x.reshaped([batch, length, heads, headWidth]).permuted([0, 2, 1, 3])  // [B, h, ·, d]
        }
        let scores = split(q, target).batchedMatmul(split(k, source), transposeB: true) * (1 / Float(headWidth).squareRoot())
        let weights = scores.softmax(mask: attentionMask(batch: batch, target: target, source: source,
                                                         keyMask: keyMask, causal: causal))
        let output = weights.batchedMatmul(split(v, source)).permuted([0, 2, 1, 3]).reshaped([batch, target, width])
        return (output, weights)
    }

    /// Key padding and the causal rule as one softmax mask: `[B, 1, T, S]` when causal,
    /// `[B, 1, 1, S]` for key padding alone, `nil` for neither.
    private static func attentionMask(batch: Int, target: Int, source: Int, keyMask: Tensor?, causal: Bool) -> Tensor? {
        guard causal else { return keyMask?.reshaped([batch, 1, 1, source]) }
        let mask = Tensor(uninitializedShape: [batch, 1, target, source])
        for b in 0..<batch {
            for t in 0..<target {
                for s in 0..<source {
                    let real = keyMask.map { $0[b, s] != 0 } ?? true
                    mask[b, 0, t, s] = real && s <= t + source - target ? 1 : 0
                }
            }
        }
        return mask
    }

    /// Runs both forms on copies of `inputs`, back-propagates the same random projection, and
    /// compares outputs and every input's gradient.
    private func assertSameValuesAndGradients(_ inputs: [Tensor], tolerance: Float = 1e-5,
                                              fused: ([Tensor]) -> Tensor, composed: ([Tensor]) -> Tensor,
                                              file: StaticString = #filePath, line: UInt = #line) {
        func run(_ function: ([Tensor]) -> Tensor) -> (Tensor, [Tensor]) {
            let copies = inputs.map { t -> Tensor in let c = t.copy(); c.requiresGrad = true; return c }
            let out = function(copies)
            var generator = SeededGenerator(seed: 99)
            out.backward(seed: Tensor.normal(out.shape, generator: &generator))
            return (out, copies.map { $0.grad! })
        }
        let (fusedOut, fusedGrads) = run(fused)
        let (composedOut, composedGrads) = run(composed)
        XCTAssertEqual(fusedOut.shape, composedOut.shape, file: file, line: line)
        assertClose(fusedOut.scalars, composedOut.scalars, tolerance: tolerance, file: file, line: line)
        for (a, b) in zip(fusedGrads, composedGrads) {
            assertClose(a.scalars, b.scalars, tolerance: tolerance, file: file, line: line)
        }
    }
}
