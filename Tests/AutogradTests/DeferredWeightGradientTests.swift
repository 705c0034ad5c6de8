import XCTest
import Autograd

/// A weight used by several products gets their gradients summed at the end of the pass, in one
/// product per orientation (`DeferredWeightGradients`): the sum must be the true gradient.
final class DeferredWeightGradientTests: XCTestCase {
    func testAWeightUsedManyTimesBothWaysGetsTheWholeGradient() {
        var generator = SeededGenerator(seed: 11)
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in generator.uniform(-1, 1) })
        }
        let weight = random([6, 5]), steps = [random([3, 5]), random([4, 5]), random([2, 5])]
        let other = random([7, 5])
        // Three uses as `x · Wᵀ` with different row counts, one as `y · W`, one with W as the left
        // operand (not deferred), and a recurrence so that the pieces depend on each other.
        let result = GradientCheck.check([weight] + steps, step: 1e-2, maximumElements: 30) { inputs in
            let w = inputs[0]
            var carry = Tensor.zeros([1, 6])
            var pieces: [Tensor] = []
            for x in inputs[1...] {
                let h = (x.matmul(w, transposeB: true) + carry).tanh()  // [m, 6]
                pieces.append(h.sum(axis: 0).reshaped([1, 6]))
                carry = pieces.last!
            }
            let back = carry.matmul(w)  // [1, 5]
            let left = w.matmul(other, transposeB: true).tanh().sum(axis: 1).reshaped([1, 6])  // W on the left
            return Tensor.concat(pieces + [back.matmul(w, transposeB: true), left], axis: 0)
        }
        XCTAssertTrue(result.passes(tolerance: 1e-2), "\(result)")
    }
}
