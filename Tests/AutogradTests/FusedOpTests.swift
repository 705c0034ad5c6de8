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

    /// Runs both forms on copies of `inputs`, back-propagates the same random projection, and
    /// compares outputs and every input's gradient.
    private func assertSameValuesAndGradients(_ inputs: [Tensor], fused: ([Tensor]) -> Tensor,
                                              composed: ([Tensor]) -> Tensor,
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
        assertClose(fusedOut.scalars, composedOut.scalars, tolerance: 1e-5, file: file, line: line)
        for (a, b) in zip(fusedGrads, composedGrads) {
            assertClose(a.scalars, b.scalars, tolerance: 1e-5, file: file, line: line)
        }
    }
}
