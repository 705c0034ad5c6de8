import Autograd
import XCTest

/// The convolution against a naive loop and a hand-computed case, and GLU against its composed
/// form (their gradients are checked in `GradientCheckTests`).
final class ConvolutionTests: XCTestCase {
    /// `y[b, t, o] = Σ_i Σ_c x[b, t + i − left, c] W[i, c, o]`, written out.
    private func naive(_ x: Tensor, _ w: Tensor, left: Int, right: Int) -> [Float] {
        let (batch, length, channels) = (x.shape[0], x.shape[1], x.shape[2])
        let (width, outputs) = (w.shape[0], w.shape[2])
        let outputLength = length + left + right - width + 1
        var y = [Float](repeating: 0, count: batch * outputLength * outputs)
        for b in 0..<batch {
            for t in 0..<outputLength {
                for o in 0..<outputs {
                    var sum: Float = 0
                    for i in 0..<width {
                        let s = t + i - left
                        guard s >= 0 && s < length else { continue }
                        for c in 0..<channels { sum += x[b, s, c] * w[i, c, o] }
                    }
                    y[(b * outputLength + t) * outputs + o] = sum
                }
            }
        }
        return y
    }

    func testConvolutionMatchesANaiveLoop() {
        var g = SeededGenerator(seed: 21)
        for (width, left, right, length) in [(3, 1, 1, 5), (3, 2, 0, 5), (4, 1, 2, 6), (2, 0, 0, 4), (5, 4, 0, 2), (1, 0, 0, 3)] {
            let x = Tensor.uniform([3, length, 4], low: -1, high: 1, generator: &g)
            let w = Tensor.uniform([width, 4, 5], low: -1, high: 1, generator: &g)
            let y = x.convolved(with: w, padding: (left, right))
            XCTAssertEqual(y.shape, [3, length + left + right - width + 1, 5])
            let expected = naive(x, w, left: left, right: right)
            for i in 0..<y.count { XCTAssertEqual(y.data[i], expected[i], accuracy: 1e-5, "k \(width), padding (\(left), \(right))") }
        }
    }

    /// One channel in and out, `W = [1, 10, 100]` over `x = [1, 2, 3]`, causal: `y_t = x_{t−2} + 10 x_{t−1} + 100 x_t`.
    func testCausalConvolutionByHand() {
        let x = Tensor(shape: [1, 3, 1], scalars: [1, 2, 3])
        let w = Tensor(shape: [3, 1, 1], scalars: [1, 10, 100])
        XCTAssertEqual(x.convolved(with: w, padding: (2, 0)).scalars, [100, 210, 321])
    }

    /// A causal convolution's output at `t` does not change when later inputs do.
    func testCausalConvolutionIgnoresTheFuture() {
        var g = SeededGenerator(seed: 22)
        let x = Tensor.uniform([1, 6, 3], low: -1, high: 1, generator: &g)
        let w = Tensor.uniform([3, 3, 2], low: -1, high: 1, generator: &g)
        let before = x.convolved(with: w, padding: (2, 0)).scalars
        for c in 0..<3 { x[0, 4, c] = 7 }
        let after = x.convolved(with: w, padding: (2, 0)).scalars
        XCTAssertEqual(Array(before.prefix(8)), Array(after.prefix(8)), "positions 0 … 3")
        XCTAssertNotEqual(Array(before.suffix(4)), Array(after.suffix(4)), "positions 4 and 5 read the change")
    }

    func testGLUMatchesComposedForm() {
        var g = SeededGenerator(seed: 23)
        let x = Tensor.uniform([2, 3, 10], low: -3, high: 3, generator: &g)
        let fusedInput = x.copy(), composedInput = x.copy()
        fusedInput.requiresGrad = true
        composedInput.requiresGrad = true
        let seed = Tensor.normal([2, 3, 5], generator: &g)
        // One backward pass at a time: each clears the tape.
        let fused = fusedInput.glu()
        fused.backward(seed: seed)
        let composed = composedInput.slice(axis: 2, start: 0, length: 5) * composedInput.slice(axis: 2, start: 5, length: 5).sigmoid()
        composed.backward(seed: seed)
        XCTAssertEqual(fused.shape, [2, 3, 5])
        for i in 0..<fused.count { XCTAssertEqual(fused.data[i], composed.data[i], accuracy: 1e-6) }
        for i in 0..<x.count { XCTAssertEqual(fusedInput.grad!.data[i], composedInput.grad!.data[i], accuracy: 1e-6) }
    }
}
