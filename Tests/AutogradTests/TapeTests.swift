import Autograd
import XCTest

/// How the tape records, accumulates and forgets.
final class TapeTests: XCTestCase {
    override func setUp() { Tape.current.reset() }

    func testLongChainDoesNotOverflowTheStack() {
        let x = Tensor(shape: [1], scalars: [0.5], requiresGrad: true)
        var y = x
        for _ in 0..<10_000 { y = y * 1.0001 + 0.0001 }
        y.sum().backward()
        // d/dx of ((x·a + b)·a + b)… = a^10000
        XCTAssertEqual(x.grad!.item, Float(Foundation.pow(1.0001, 10_000.0)), accuracy: 1e-2)
        XCTAssertEqual(Tape.current.count, 0, "backward clears the tape")
    }

    func testGradientsAccumulateOverEveryUse() {
        let x = Tensor(shape: [3], scalars: [1, -2, 3], requiresGrad: true)
        (x * x + x).sum().backward()  // d/dx (x² + x) = 2x + 1
        XCTAssertEqual(x.grad!.scalars, [3, -3, 7])
        (x * 2).sum().backward()  // a second backward adds to the gradient
        XCTAssertEqual(x.grad!.scalars, [5, -1, 9])
        x.zeroGrad()
        XCTAssertNil(x.grad)
    }

    func testNoGradientModeRecordsNothing() {
        let w = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4], requiresGrad: true)
        let y = withoutGradients { w.matmul(w).tanh().sum() }
        XCTAssertEqual(Tape.current.count, 0)
        XCTAssertFalse(y.requiresGrad)
        let z = w.matmul(w).sum()
        XCTAssertEqual(Tape.current.count, 2)
        XCTAssertTrue(z.requiresGrad)
    }

    func testDetachStopsTheGradient() {
        let x = Tensor(shape: [2], scalars: [2, 3], requiresGrad: true)
        (x * x.detached()).sum().backward()  // only the first factor is differentiated
        XCTAssertEqual(x.grad!.scalars, [2, 3])
    }

    func testOpsOnConstantsAreNotRecorded() {
        let a = Tensor(shape: [2], scalars: [1, 2])
        _ = (a + a).exp()
        XCTAssertEqual(Tape.current.count, 0)
    }

    func testEmbeddingPaddingRowGetsNoGradient() {
        let table = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let rows = table.embedding([2, 0, 2], shape: [3], paddingIndex: 0)
        XCTAssertEqual(rows.scalars, [5, 6, 1, 2, 5, 6])
        rows.sum().backward()
        XCTAssertEqual(table.grad!.scalars, [0, 0, 0, 0, 2, 2])
    }

    func testDropoutIsReproducibleAndUnbiased() {
        let x = Tensor.ones([10_000])
        var first = SeededGenerator(seed: 9), second = SeededGenerator(seed: 9)
        let a = x.dropout(probability: 0.25, generator: &first)
        let b = x.dropout(probability: 0.25, generator: &second)
        XCTAssertEqual(a.scalars, b.scalars)
        let dropped = a.scalars.filter { $0 == 0 }.count
        XCTAssertEqual(Double(dropped) / 10_000, 0.25, accuracy: 0.02)
        XCTAssertTrue(a.scalars.allSatisfy { $0 == 0 || abs($0 - 4 / 3) < 1e-6 })
    }

    func testBroadcastingShapes() {
        let a = Tensor(shape: [2, 1, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = Tensor(shape: [4, 1], scalars: [10, 20, 30, 40])
        let c = a + b
        XCTAssertEqual(c.shape, [2, 4, 3])
        XCTAssertEqual(c[1, 2, 0], 34)
        XCTAssertEqual((a * Tensor(2)).scalars, [2, 4, 6, 8, 10, 12])
    }

    func testFullyMaskedSoftmaxRowIsZeroNotNaN() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let mask = Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 0, 0])
        let y = x.softmax(mask: mask)
        XCTAssertEqual(y[0, 1], 0)
        XCTAssertEqual(y[0, 0] + y[0, 2], 1, accuracy: 1e-6)
        XCTAssertEqual(Array(y.scalars[3...]), [0, 0, 0])
    }

    func testPermuteAndConcatLayouts() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(x.transposed(0, 1).scalars, [1, 4, 2, 5, 3, 6])
        let joined = Tensor.concat([x, Tensor(shape: [2, 1], scalars: [7, 8])], axis: 1)
        XCTAssertEqual(joined.scalars, [1, 2, 3, 7, 4, 5, 6, 8])
        XCTAssertEqual(Tensor.stack([x, x], axis: 1).shape, [2, 2, 3])
        XCTAssertEqual(x.slice(axis: 1, start: 1, length: 2).scalars, [2, 3, 5, 6])
        XCTAssertEqual(x.max(axis: 0).scalars, [4, 5, 6])
    }
}

/// Forward values against PyTorch 2.13 (numbers printed once by `torch.nn.functional`).
final class ForwardValueTests: XCTestCase {
    let x = Tensor(shape: [2, 4], scalars: [0.5, -1.0, 2.0, 0.1, 1.5, 0.2, -0.3, 0.0])

    func testSoftmaxAndLogSoftmax() {
        assertClose(x.softmax().scalars, [0.156859, 0.035000, 0.702995, 0.105146, 0.602061, 0.164081, 0.099520, 0.134338])
        assertClose(x.logSoftmax().scalars, [-1.852406, -3.352406, -0.352406, -2.252406, -0.507396, -1.807396, -2.307396, -2.007396])
    }

    func testCrossEntropyWithLabelSmoothingAndIgnoredTokens() {
        let logits = x.copy()
        logits.requiresGrad = true
        let loss = logits.crossEntropy(targets: [2, 0], labelSmoothing: 0.2)
        XCTAssertEqual(loss.item, 0.704901, accuracy: 1e-5)
        loss.backward()
        assertClose(logits.grad!.scalars, [0.053430, -0.007500, -0.073503, 0.027573, -0.123969, 0.057040, 0.024760, 0.042169])
        XCTAssertEqual(x.crossEntropy(targets: [2, 0], ignoreIndex: 0).item, 0.352406, accuracy: 1e-5)
    }

    func testLayerNormAndGELU() {
        let gain = Tensor(shape: [4], scalars: [1, 2, 0.5, -1]), bias = Tensor(shape: [4], scalars: [0.1, 0, 0, 0.2])
        assertClose(x.layerNorm(gain: gain, bias: bias).scalars,
                    [0.193048, -2.605345, 0.744384, 0.479144, 1.772986, -0.436431, -0.472800, 0.709170])
        // PyTorch's `F.gelu` (exact, erf form), values and gradients of the sum.
        assertClose(x.gelu().scalars, [0.345731, -0.158655, 1.954500, 0.053983, 1.399789, 0.115852, -0.114627, 0])
        let input = x.copy()
        input.requiresGrad = true
        input.gelu().sum().backward()
        assertClose(input.grad!.scalars, [0.867495, -0.083315, 1.085232, 0.579523, 1.127469, 0.657468, 0.267672, 0.5])
    }
}

func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > tolerance * Swift.max(1, abs(e)) {
        XCTFail("element \(i): \(a) vs expected \(e)", file: file, line: line)
    }
}
