import Autograd
import Foundation
import XCTest

/// The Neural Turing Machine's ops beyond their gradient checks: each against the formula
/// written with primitive ops (values and gradients), what each means on hand-made cases, and
/// finite values and gradients where a naive formula would overflow or divide by zero.
final class MemoryOpTests: XCTestCase {
    // MARK: - Against the composed formulas

    func testMemoryWriteMatchesEraseThenAdd() {
        var g = SeededGenerator(seed: 21)
        let inputs = [random([2, 5, 3], &g), random([2, 5], &g, 0, 1), random([2, 3], &g, 0, 1), random([2, 3], &g)]
        assertMatchesComposedForm(inputs, op: { Tensor.memoryWrite(memory: $0[0], weighting: $0[1], erase: $0[2], add: $0[3]) }) { x in
            // M ∘ (1 − w eᵀ) + w aᵀ, the outer products as [B, N, 1]·[B, 1, M] matrix products.
            let w = x[1].reshaped([2, 5, 1])
            return x[0] * (1 - w.batchedMatmul(x[2].reshaped([2, 1, 3]))) + w.batchedMatmul(x[3].reshaped([2, 1, 3]))
        }
    }

    func testSharpeningMatchesPowerOverSum() {
        var g = SeededGenerator(seed: 22)
        let inputs = [random([2, 3, 6], &g, 0.05, 1), random([2, 3, 1], &g, 1, 4)]
        assertMatchesComposedForm(inputs, op: { $0[0].sharpened(gamma: $0[1]) }) { x in
            // w̃^γ = exp(γ ln w̃), then divided by its row sum.
            let powered = (x[0].log() * x[1]).exp()
            return powered / powered.sum(axis: 2, keepingAxis: true)
        }
    }

    func testCosineSimilarityMatchesDotOverNorms() {
        var g = SeededGenerator(seed: 23)
        let inputs = [random([2, 3, 4], &g), random([2, 5, 4], &g)]
        assertMatchesComposedForm(inputs, op: { Tensor.cosineSimilarity(keys: $0[0], memory: $0[1]) }) { x in
            let dots = x[0].batchedMatmul(x[1], transposeB: true)  // [B, h, N]
            let keyNorms = (x[0] * x[0]).sum(axis: 2, keepingAxis: true).sqrt()  // [B, h, 1]
            let rowNorms = (x[1] * x[1]).sum(axis: 2).sqrt().reshaped([2, 1, 5])  // [B, 1, N]
            return dots / (keyNorms * rowNorms + 1e-8)
        }
    }

    /// Against a loop over the definition, `w̃_i = Σ_j w_{(i − j) mod N} s_j`.
    func testCircularConvolutionFollowsTheDefinition() {
        var g = SeededGenerator(seed: 24)
        for (slots, reach) in [(6, 1), (5, 2), (3, 1)] {
            let w = random([2, slots], &g, 0, 1), s = random([2, 2 * reach + 1], &g, 0, 1)
            let out = w.circularConvolution(shifts: s)
            for r in 0..<2 {
                for i in 0..<slots {
                    var expected: Float = 0
                    for j in -reach...reach { expected += w[r, ((i - j) % slots + slots) % slots] * s[r, j + reach] }
                    XCTAssertEqual(out[r, i], expected, accuracy: 1e-6, "N \(slots), K \(reach), row \(r), slot \(i)")
                }
            }
        }
    }

    // MARK: - Meaning

    /// All of `s` on `+1` moves every weight one slot on, wrapping from the last slot to the first;
    /// on `−1` one slot back; on `0` nowhere.
    func testAShiftMovesTheWeightingAroundTheMemory() {
        let w = Tensor(shape: [1, 5], scalars: [0.1, 0, 0, 0.2, 0.7])
        func shifted(_ s: [Float]) -> [Float] { w.circularConvolution(shifts: Tensor(shape: [1, 3], scalars: s)).scalars }
        XCTAssertEqual(shifted([0, 0, 1]), [0.7, 0.1, 0, 0, 0.2])
        XCTAssertEqual(shifted([1, 0, 0]), [0, 0, 0.2, 0.7, 0.1])
        XCTAssertEqual(shifted([0, 1, 0]), w.scalars)
    }

    /// `γ = 1` leaves a normalised weighting as it is; a large `γ` concentrates it on its peak.
    func testSharpeningConcentratesOnThePeak() {
        let w = Tensor(shape: [1, 4], scalars: [0.2, 0.5, 0.25, 0.05])
        for (a, b) in zip(w.sharpened(gamma: Tensor(shape: [1, 1], scalars: [1])).scalars, w.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let sharp = w.sharpened(gamma: Tensor(shape: [1, 1], scalars: [40])).scalars
        XCTAssertEqual(sharp[1], 1, accuracy: 1e-6)
        XCTAssertEqual(sharp.reduce(0, +), 1, accuracy: 1e-6)
    }

    /// A slot with `w = 1` and `e = 1` is replaced by `a`; a slot with `w = 0` keeps its content.
    func testAFullWriteReplacesASlotAndLeavesTheOthers() {
        let memory = Tensor(shape: [1, 2, 2], scalars: [1, 2, 3, 4])
        let out = Tensor.memoryWrite(memory: memory, weighting: Tensor(shape: [1, 2], scalars: [1, 0]),
                                     erase: Tensor(shape: [1, 2], scalars: [1, 1]), add: Tensor(shape: [1, 2], scalars: [-5, 6]))
        XCTAssertEqual(out.scalars, [-5, 6, 3, 4])
    }

    // MARK: - Stability

    func testSoftplusStaysFiniteAndExactForLargeInputs() {
        let x = Tensor(shape: [4], scalars: [-200, -30, 30, 200], requiresGrad: true)
        let y = x.softplus()
        XCTAssertEqual(y.scalars[3], 200)
        XCTAssertEqual(y.scalars[2], 30, accuracy: 1e-5)
        XCTAssertGreaterThan(y.scalars[1], 0, "e⁻³⁰ survives the cancellation a naive ln(1 + eˣ) suffers")
        y.sum().backward()
        for (grad, x) in zip(x.grad!.scalars, x.scalars) {
            let expected = Float(1 / (1 + Foundation.exp(-Double(x))))  // σ(x), 0 in Float for x = −200
            XCTAssertEqual(grad, expected, accuracy: 1e-6 * expected, "x = \(x)")
        }
    }

    /// Zeros in `w̃` and a `γ` under which every `w̃^γ` underflows: the naive quotient is 0/0,
    /// the softmax form gives the peak weight 1, and the gradients are finite.
    func testSharpeningSurvivesZerosAndHugeExponents() {
        let w = Tensor(shape: [1, 4], scalars: [0, 1e-3, 2e-3, 0], requiresGrad: true)
        let gamma = Tensor(shape: [1, 1], scalars: [200], requiresGrad: true)
        let out = w.sharpened(gamma: gamma)
        XCTAssertEqual(out.scalars, [0, 0, 1, 0])
        out.backward(seed: Tensor(shape: [1, 4], scalars: [1, -2, 3, 4]))
        XCTAssertTrue((w.grad!.scalars + gamma.grad!.scalars).allSatisfy(\.isFinite), "\(w.grad!.scalars) \(gamma.grad!.scalars)")
    }

    /// A zero key or a zero memory row has similarity 0 and finite gradients.
    func testCosineSimilarityOfZeroVectorsIsZero() {
        let keys = Tensor(shape: [1, 2, 2], scalars: [0, 0, 1, 1], requiresGrad: true)
        let memory = Tensor(shape: [1, 2, 2], scalars: [0, 0, 3, 4], requiresGrad: true)
        let out = Tensor.cosineSimilarity(keys: keys, memory: memory)
        XCTAssertEqual(out.scalars[0], 0)
        XCTAssertEqual(out.scalars[1], 0)
        XCTAssertEqual(out.scalars[2], 0)
        XCTAssertEqual(out.scalars[3], 7 / (Float(2).squareRoot() * 5), accuracy: 1e-6)
        out.backward(seed: Tensor.ones([1, 2, 2]))
        XCTAssertTrue((keys.grad!.scalars + memory.grad!.scalars).allSatisfy(\.isFinite))
    }

    // MARK: - Helpers

    /// The op and its composed form give the same values, and the same gradients of a random
    /// projection of their outputs.
    private func assertMatchesComposedForm(_ inputs: [Tensor], op: ([Tensor]) -> Tensor, composed: ([Tensor]) -> Tensor,
                                           file: StaticString = #filePath, line: UInt = #line) {
        func valuesAndGradients(_ function: ([Tensor]) -> Tensor) -> [[Float]] {
            let copies = inputs.map { input -> Tensor in
                let copy = input.copy()
                copy.requiresGrad = true
                return copy
            }
            let out = function(copies)
            var generator = SeededGenerator(seed: 5)
            out.backward(seed: Tensor.normal(out.shape, generator: &generator))
            return [out.scalars] + copies.map { $0.grad?.scalars ?? [] }
        }
        for (index, (a, b)) in zip(valuesAndGradients(op), valuesAndGradients(composed)).enumerated() {
            XCTAssertEqual(a.count, b.count, file: file, line: line)
            for (x, y) in zip(a, b) {
                XCTAssertEqual(x, y, accuracy: 1e-5 + 1e-4 * abs(y), index == 0 ? "values" : "gradient of input \(index - 1)", file: file, line: line)
            }
        }
    }
}
