import Autograd
import XCTest

/// One finite-difference check per op kind (several for ops with variants), and a meta-test
/// that fails when an `OpKind` has none.
final class GradientCheckTests: XCTestCase {
    /// The checks, by the op they prove. Each builds its inputs from the generator it is given.
    static let checks: [OpKind: [(inout SeededGenerator) -> GradientCheck.Result]] = [
        .add: [
            { g in check([random([3, 4], &g), random([4], &g)]) { $0[0] + $0[1] } },
            { g in check([random([3, 1], &g), random([1, 4], &g)]) { $0[0] + $0[1] } },
        ],
        .subtract: [{ g in check([random([2, 3, 4], &g), random([3, 1], &g)]) { $0[0] - $0[1] } }],
        .multiply: [
            { g in check([random([3, 4], &g), random([3, 4], &g)]) { $0[0] * $0[1] } },
            { g in check([random([2, 1, 4], &g), random([3, 1], &g)]) { $0[0] * $0[1] } },
        ],
        .divide: [{ g in check([random([3, 4], &g), random([4], &g, 0.5, 2)]) { $0[0] / $0[1] } }],
        .addScalar: [{ g in check([random([5], &g)]) { $0[0] + 0.7 } }],
        .multiplyScalar: [{ g in check([random([5], &g)]) { $0[0] * -1.3 } }],
        .negate: [{ g in check([random([5], &g)]) { -$0[0] } }],
        .power: [{ g in check([random([5], &g, 0.5, 2)]) { $0[0].pow(2.5) } }],
        .exp: [{ g in check([random([4, 3], &g)]) { $0[0].exp() } }],
        .log: [{ g in check([random([4, 3], &g, 0.5, 3)]) { $0[0].log() } }],
        .sqrt: [{ g in check([random([4, 3], &g, 0.5, 3)]) { $0[0].sqrt() } }],
        .tanh: [{ g in check([random([4, 3], &g, -2, 2)]) { $0[0].tanh() } }],
        .sigmoid: [{ g in check([random([4, 3], &g, -3, 3)]) { $0[0].sigmoid() } }],
        .relu: [{ g in check([awayFromZero([4, 5], &g)]) { $0[0].relu() } }],
        .gelu: [{ g in check([random([4, 5], &g, -3, 3)]) { $0[0].gelu() } }],
        .matmul: [
            { g in check([random([3, 4], &g), random([4, 5], &g)]) { $0[0].matmul($0[1]) } },
            { g in check([random([4, 3], &g), random([4, 5], &g)]) { $0[0].matmul($0[1], transposeA: true) } },
            { g in check([random([3, 4], &g), random([5, 4], &g)]) { $0[0].matmul($0[1], transposeB: true) } },
            { g in check([random([4, 3], &g), random([5, 4], &g)]) { $0[0].matmul($0[1], transposeA: true, transposeB: true) } },
            { g in check([random([2, 3, 4], &g), random([4, 5], &g)]) { $0[0].matmul($0[1]) } },
        ],
        .linear: [
            { g in check([random([3, 4], &g), random([5, 4], &g), random([5], &g)]) { $0[0].linear($0[1], bias: $0[2]) } },
            { g in check([random([2, 3, 4], &g), random([5, 4], &g), random([5], &g)]) { $0[0].linear($0[1], bias: $0[2]) } },
            { g in check([random([3, 4], &g), random([5, 4], &g)]) { $0[0].linear($0[1], bias: nil) } },
            // 600 rows: a piece large enough that ∂W and ∂b are multiplied at once, not deferred.
            { g in check([random([2, 300, 3], &g), random([4, 3], &g), random([4], &g)]) { $0[0].linear($0[1], bias: $0[2]) } },
            // One bias with two weights (two groups of pieces): its gradient is added to, not overwritten.
            { g in
                check([random([3, 4], &g), random([5, 4], &g), random([5, 4], &g), random([5], &g)]) { p in
                    p[0].linear(p[1], bias: p[3]) * p[0].linear(p[2], bias: p[3])
                }
            },
            // Used at two steps, as a recurrent layer does: ∂W and ∂b wait and are summed over both.
            { g in
                check([random([3, 4], &g), random([4, 4], &g), random([4], &g)]) { p in
                    p[0].linear(p[1], bias: p[2]).tanh().linear(p[1], bias: p[2])
                }
            },
            // A block of rows of the weight and bias: only those rows get gradients.
            { g in check([random([3, 4], &g), random([7, 4], &g), random([7], &g)]) { $0[0].linear($0[1], rows: 2..<5, bias: $0[2]) } },
            // Two blocks of one weight and bias (a query and a key-value projection), and the whole
            // weight besides: each adds into its own rows, the whole product into all of them.
            { g in
                check([random([3, 4], &g), random([2, 5, 4], &g), random([6, 4], &g), random([6], &g)]) { p in
                    let query = p[0].linear(p[2], rows: 0..<2, bias: p[3])
                    let keys = p[1].linear(p[2], rows: 2..<6, bias: p[3])
                    return keys.sum() * query.tanh().sum() + p[0].linear(p[2], bias: p[3]).tanh().sum()
                }
            },
            // 600 rows, nothing deferred.
            { g in check([random([2, 300, 3], &g), random([5, 3], &g), random([5], &g)]) { $0[0].linear($0[1], rows: 1..<4, bias: $0[2]) } },
        ],
        // Small weights and biases of ±0.5…1 keep every pre-activation at least 0.2 from ReLU's kink,
        // where a finite difference would not see the derivative: some units on, some off.
        .linearReLU: [
            { g in check([random([3, 4], &g), random([5, 4], &g, -0.05, 0.05), awayFromKink([5], &g)]) { $0[0].linearReLU($0[1], bias: $0[2]) } },
            // 600 rows: ∂W and ∂b multiplied at once, not deferred.
            { g in
                check([random([2, 300, 3], &g), random([4, 3], &g, -0.05, 0.05), awayFromKink([4], &g)]) { $0[0].linearReLU($0[1], bias: $0[2]) }
            },
            // Used twice: ∂W and ∂b wait and are summed over both uses.
            { g in
                check([random([3, 4], &g), random([4, 4], &g, -0.05, 0.05), awayFromKink([4], &g)]) { p in
                    p[0].linearReLU(p[1], bias: p[2]).linearReLU(p[1], bias: p[2])
                }
            },
        ],
        .batchedMatmul: [
            { g in check([random([2, 3, 4], &g), random([2, 4, 5], &g)]) { $0[0].batchedMatmul($0[1]) } },
            { g in check([random([2, 4, 3], &g), random([2, 4, 5], &g)]) { $0[0].batchedMatmul($0[1], transposeA: true) } },
            { g in check([random([2, 3, 4], &g), random([2, 5, 4], &g)]) { $0[0].batchedMatmul($0[1], transposeB: true) } },
            { g in check([random([2, 2, 4, 3], &g), random([2, 2, 5, 4], &g)]) {
                $0[0].batchedMatmul($0[1], transposeA: true, transposeB: true)
            } },
        ],
        .softmax: [
            { g in check([random([3, 5], &g, -2, 2)]) { $0[0].softmax() } },
            { g in
                let mask = Tensor(shape: [2, 1, 4], scalars: [1, 1, 0, 1, 1, 0, 0, 0])
                return check([random([2, 3, 4], &g, -2, 2)]) { $0[0].softmax(mask: mask) }
            },
        ],
        .logSoftmax: [
            { g in check([random([3, 5], &g, -2, 2)]) { $0[0].logSoftmax() } },
            { g in
                let mask = Tensor(shape: [2, 4], scalars: [1, 1, 0, 1, 1, 0, 1, 1])
                let masked = Tensor(shape: [2, 4], scalars: [0, 0, 1, 0, 0, 1, 0, 0])
                // Masked log-probabilities are −∞; fill them so the projection stays finite.
                return check([random([2, 4], &g, -2, 2)]) { $0[0].logSoftmax(mask: mask).maskedFill(masked, with: 0) }
            },
        ],
        .crossEntropy: [
            { g in check([random([2, 3, 5], &g, -2, 2)]) { $0[0].crossEntropy(targets: [1, 4, 0, 2, 0, 3], ignoreIndex: 0) } },
            { g in
                check([random([4, 6], &g, -2, 2)]) {
                    $0[0].crossEntropy(targets: [5, 2, 2, 0], labelSmoothing: 0.1, reduction: .sum)
                }
            },
        ],
        .embedding: [
            { g in check([random([6, 3], &g)]) { $0[0].embedding([1, 4, 1, 0, 5, 1], shape: [2, 3]) } },
        ],
        .slice: [
            { g in check([random([2, 5, 3], &g)]) { $0[0].slice(axis: 1, start: 1, length: 3) } },
            { g in check([random([4, 3], &g)]) { $0[0].select(axis: 0, index: 2) } },
        ],
        .maskedFill: [
            { g in
                let mask = Tensor(shape: [3, 1], scalars: [0, 1, 0])
                return check([random([3, 4], &g)]) { $0[0].maskedFill(mask, with: -5) }
            },
        ],
        .reshape: [{ g in check([random([2, 6], &g)]) { $0[0].reshaped([3, 4]) * $0[0].reshaped([3, 4]) } }],
        .permute: [
            { g in check([random([2, 3, 4], &g)]) { $0[0].permuted([2, 0, 1]) } },
            { g in check([random([2, 3, 4, 5], &g)]) { $0[0].transposed(1, 2) } },
        ],
        .concat: [
            { g in check([random([2, 3, 4], &g), random([2, 1, 4], &g)]) { Tensor.concat($0, axis: 1) } },
            { g in check([random([2, 3], &g), random([2, 2], &g)]) { Tensor.concat($0, axis: 1) } },
        ],
        .stack: [{ g in check([random([2, 3], &g), random([2, 3], &g), random([2, 3], &g)]) { Tensor.stack($0, axis: 1) } }],
        .sum: [{ g in check([random([2, 3, 4], &g)]) { $0[0].sum(axis: 1) } }],
        .mean: [{ g in check([random([2, 3, 4], &g)]) { $0[0].mean(axis: 2, keepingAxis: true) } }],
        .max: [{ g in check([distinct([3, 4, 2], &g)]) { $0[0].max(axis: 1) } }],
        .sumAll: [{ g in check([random([3, 4], &g)]) { ($0[0] * $0[0]).sum() } }],
        .layerNorm: [
            { g in check([random([3, 6], &g), random([6], &g), random([6], &g)]) { $0[0].layerNorm(gain: $0[1], bias: $0[2]) } },
            // With a residual added first: both terms get ∂(x + r); a term added to itself gets it twice.
            { g in
                check([random([3, 6], &g), random([3, 6], &g), random([6], &g), random([6], &g)]) {
                    $0[0].layerNorm(adding: $0[1], gain: $0[2], bias: $0[3])
                }
            },
            { g in
                check([random([2, 5], &g), random([5], &g), random([5], &g)]) { p in
                    p[0].layerNorm(adding: p[0], gain: p[1], bias: p[2]) * p[0]
                }
            },
            // Rows of 21: a whole 16-lane block before the partial one, the kernels' other path.
            { g in check([random([2, 21], &g), random([21], &g), random([21], &g)]) { $0[0].layerNorm(gain: $0[1], bias: $0[2]) } },
            { g in
                check([random([2, 21], &g), random([2, 21], &g), random([21], &g), random([21], &g)]) {
                    $0[0].layerNorm(adding: $0[1], gain: $0[2], bias: $0[3])
                }
            },
        ],
        .dropout: [
            { g in
                check([random([4, 5], &g)]) { inputs in
                    var dropping = SeededGenerator(seed: 3)  // the same mask on every evaluation
                    return inputs[0].dropout(probability: 0.3, generator: &dropping)
                }
            },
        ],
        // x [B, T, C_in], W [k, C_in, C_out]: centred, causal, unpadded with an even width.
        .convolution: [
            { g in check([random([2, 4, 3], &g), random([3, 3, 4], &g)]) { $0[0].convolved(with: $0[1], padding: (1, 1)) } },
            { g in check([random([2, 5, 2], &g), random([3, 2, 6], &g)]) { $0[0].convolved(with: $0[1], padding: (2, 0)) } },
            { g in check([random([3, 4, 2], &g), random([2, 2, 3], &g)]) { $0[0].convolved(with: $0[1], padding: (0, 1)) } },
        ],
        .glu: [{ g in check([random([2, 3, 8], &g, -2, 2)]) { $0[0].glu() } }],
        .softplus: [{ g in check([random([4, 5], &g, -4, 4)]) { $0[0].softplus() } }],
        // keys [B, h, M] against memory rows [B, N, M]: B = 2, h = 2, N = 3, M = 4.
        .cosineSimilarity: [
            { g in check([random([2, 2, 4], &g), random([2, 3, 4], &g)]) { Tensor.cosineSimilarity(keys: $0[0], memory: $0[1]) } },
        ],
        // Shifts −1…1 over 5 slots, and −2…2 over 4 (a shift wraps past a neighbour's).
        .circularConvolution: [
            { g in check([random([2, 3, 5], &g, 0, 1), random([2, 3, 3], &g, 0, 1)]) { $0[0].circularConvolution(shifts: $0[1]) } },
            { g in check([random([3, 4], &g, 0, 1), random([3, 5], &g, 0, 1)]) { $0[0].circularConvolution(shifts: $0[1]) } },
        ],
        // w̃ > 0 away from 0 (ln w̃), γ ≥ 1.
        .sharpening: [
            { g in check([random([2, 3, 5], &g, 0.05, 1), random([2, 3, 1], &g, 1, 3)]) { $0[0].sharpened(gamma: $0[1]) } },
        ],
        // memory [B, N, M], w [B, N], e ∈ (0, 1), a [B, M]: B = 2, N = 3, M = 4.
        .memoryWrite: [
            { g in check([random([2, 3, 4], &g), random([2, 3], &g, 0, 1), random([2, 4], &g, 0, 1), random([2, 4], &g)]) {
                Tensor.memoryWrite(memory: $0[0], weighting: $0[1], erase: $0[2], add: $0[3])
            } },
        ],
        .gruCell: [
            { g in check([random([3, 12], &g, -2, 2), random([3, 12], &g, -2, 2), random([3, 4], &g)]) {
                Tensor.gruCell(inputGates: $0[0], hiddenGates: $0[1], hidden: $0[2])
            } },
        ],
        .lstmCell: [
            { g in check([random([3, 16], &g, -2, 2), random([3, 4], &g)]) { Tensor.lstmCell(gates: $0[0], cell: $0[1]) } },
        ],
        // S = 3, B = 2, H = 2; the second row is padded at its last step.
        .recurrentLayer: [
            { g in  // a bidirectional GRU layer over padding
                check([random([3, 2, 6], &g, -2, 2), random([3, 2, 6], &g, -2, 2), random([6, 2], &g), random([6, 2], &g),
                       random([6], &g), random([6], &g)]) {
                    Tensor.recurrentLayer(kind: .gru, inputGates: [$0[0], $0[1]], hiddenWeights: [$0[2], $0[3]],
                                          hiddenBiases: [$0[4], $0[5]], mask: [[1, 1], [1, 1], [1, 0]])
                }
            },
            { g in  // an LSTM layer, backwards
                check([random([3, 2, 8], &g, -2, 2), random([8, 2], &g), random([8], &g)]) {
                    Tensor.recurrentLayer(kind: .lstm, inputGates: [$0[0], $0[0]], hiddenWeights: [$0[1], $0[1]],
                                          hiddenBiases: [$0[2], $0[2]], mask: [[1, 1], [1, 1], [1, 0]])
                }
            },
            { g in  // a GRU layer whose input gates also feed a later op: their gradient is added to
                check([random([3, 2, 6], &g, -2, 2), random([6, 2], &g), random([6], &g)]) {
                    Tensor.recurrentLayer(kind: .gru, inputGates: [$0[0]], hiddenWeights: [$0[1]], hiddenBiases: [$0[2]], mask: nil)
                        + $0[0].slice(axis: 2, start: 2, length: 2)
                }
            },
            { g in  // a tanh layer, one direction, no padding
                check([random([3, 2, 2], &g, -2, 2), random([2, 2], &g), random([2], &g)]) {
                    Tensor.recurrentLayer(kind: .tanh, inputGates: [$0[0]], hiddenWeights: [$0[1]], hiddenBiases: [$0[2]], mask: nil)
                }
            },
        ],
        .additiveScores: [
            { g in check([random([2, 5], &g), random([2, 3, 5], &g), random([5], &g)]) {
                Tensor.additiveScores(query: $0[0], keys: $0[1], vector: $0[2])
            } },
            { g in  // with coverage
                check([random([2, 5], &g), random([2, 3, 5], &g), random([5], &g), random([2, 3], &g, 0, 2), random([5], &g)]) {
                    Tensor.additiveScores(query: $0[0], keys: $0[1], vector: $0[2], coverage: $0[3], coverageWeights: $0[4])
                }
            },
        ],
        .attentionContext: [
            { g in check([random([2, 3], &g), random([2, 3, 5], &g)]) { Tensor.attentionContext(weights: $0[0], values: $0[1]) } },
            { g in  // widths across the 16 lanes
                check([random([3, 2], &g), random([3, 2, 19], &g)]) { Tensor.attentionContext(weights: $0[0], values: $0[1]) }
            },
        ],
        // B = 2, h = 2, d = 3; the output is checked, the weights are not on the tape.
        .scaledDotProductAttention: [
            { g in  // key padding, T = 3, S = 4
                let mask = Tensor(shape: [2, 4], scalars: [1, 1, 0, 1, 1, 1, 1, 0])
                return check([random([2, 3, 6], &g), random([2, 4, 6], &g), random([2, 4, 6], &g)]) {
                    Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], heads: 2, keyMask: mask).output
                }
            },
            { g in  // causal, T = S = 4
                check([random([2, 4, 6], &g), random([2, 4, 6], &g), random([2, 4, 6], &g)]) {
                    Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], heads: 2, causal: true).output
                }
            },
            { g in  // causal, T = 3 < S = 4, with key padding
                let mask = Tensor(shape: [2, 4], scalars: [1, 0, 1, 1, 1, 1, 1, 1])
                return check([random([2, 3, 6], &g), random([2, 4, 6], &g), random([2, 4, 6], &g)]) {
                    Tensor.scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], heads: 2,
                                                     keyMask: mask, causal: true).output
                }
            },
            { g in  // Q, K and V read in place from one fused projection [B, T, 3D]: a fresh gradient tiled by the blocks
                check([random([2, 3, 18], &g)]) {
                    Tensor.scaledDotProductAttention(query: AttentionColumns($0[0], start: 0, width: 6),
                                                     key: AttentionColumns($0[0], start: 6, width: 6),
                                                     value: AttentionColumns($0[0], start: 12, width: 6), heads: 2, causal: true).output
                }
            },
            { g in  // K and V from one [B, S, 2D] tensor, Q a block of a wider one whose other columns get no gradient
                check([random([2, 3, 8], &g), random([2, 4, 12], &g)]) {
                    Tensor.scaledDotProductAttention(query: AttentionColumns($0[0], start: 1, width: 6),
                                                     key: AttentionColumns($0[1], start: 0, width: 6),
                                                     value: AttentionColumns($0[1], start: 6, width: 6), heads: 2).output
                }
            },
            { g in  // the same block as key and value: their gradients add up
                check([random([2, 3, 6], &g), random([2, 4, 6], &g)]) { p in
                    let memory = AttentionColumns(p[1])
                    return Tensor.scaledDotProductAttention(query: AttentionColumns(p[0]), key: memory, value: memory, heads: 2).output
                }
            },
            { g in  // the same, and the tensor also read by a later op
                check([random([2, 3, 6], &g), random([2, 4, 6], &g)]) { p in
                    let memory = AttentionColumns(p[1])
                    return Tensor.scaledDotProductAttention(query: AttentionColumns(p[0]), key: memory, value: memory, heads: 2).output
                        + p[1].slice(axis: 1, start: 0, length: 3)
                }
            },
        ],
    ]

    func testEveryOpKindHasAGradientCheck() {
        let missing = OpKind.allCases.filter { (Self.checks[$0] ?? []).isEmpty }
        XCTAssertEqual(missing, [], "ops without a gradient check: \(missing.map(\.rawValue))")
    }

    func testEveryGradientCheckPasses() {
        for kind in OpKind.allCases {
            for (variant, check) in (Self.checks[kind] ?? []).enumerated() {
                var generator = SeededGenerator(seed: 42 + UInt64(variant))
                let result = check(&generator)
                XCTAssertTrue(result.recordedKinds.contains(kind), "\(kind) check #\(variant) never ran \(kind): \(result)")
                XCTAssertTrue(result.passes(), "\(kind) check #\(variant): \(result)")
            }
        }
    }

    /// The checker itself must reject a wrong gradient.
    func testCheckerRejectsAWrongGradient() {
        var generator = SeededGenerator(seed: 1)
        let x = random([4, 3], &generator)
        let wrong = GradientCheck.check([x]) { inputs in
            // The value is 1.5·x², but the detached term hides half a part of it from the
            // tape: the pullbacks give 2x where finite differences see 3x.
            let y = inputs[0] * inputs[0]
            return y + inputs[0].detached() * 0.5 * inputs[0].detached()
        }
        XCTAssertFalse(wrong.passes(), "a function whose value ignores part of its gradient must fail: \(wrong)")
    }
}

// MARK: - Inputs

private func check(_ inputs: [Tensor], _ function: ([Tensor]) -> Tensor) -> GradientCheck.Result {
    GradientCheck.check(inputs, function)
}

/// Uniform in `[low, high)`.
func random(_ shape: [Int], _ generator: inout SeededGenerator, _ low: Float = -1, _ high: Float = 1) -> Tensor {
    Tensor.uniform(shape, low: low, high: high, generator: &generator)
}

/// Uniform with `0.5 ≤ |x| < 1`, both signs: a bias that keeps a ReLU unit on or off.
private func awayFromKink(_ shape: [Int], _ generator: inout SeededGenerator) -> Tensor {
    let t = random(shape, &generator, 0.5, 1)
    for i in 0..<t.count where i % 2 == 1 { t.data[i] = -t.data[i] }
    return t
}

/// Uniform with `|x| ≥ 0.2`, away from the kink of relu.
private func awayFromZero(_ shape: [Int], _ generator: inout SeededGenerator) -> Tensor {
    let t = random(shape, &generator, 0.2, 1)
    for i in 0..<t.count where generator.nextUnit() < 0.5 { t.data[i] = -t.data[i] }
    return t
}

/// Values at least 0.1 apart, shuffled, so a maximum never ties under the perturbation.
private func distinct(_ shape: [Int], _ generator: inout SeededGenerator) -> Tensor {
    let count = shape.reduce(1, *)
    var values = (0..<count).map { Float($0) * 0.1 - 1 }
    values.shuffle(using: &generator)
    return Tensor(shape: shape, scalars: values)
}
