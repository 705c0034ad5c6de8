import XCTest
import Autograd

/// `withFrozenParameters`: a parameter's packed form is reused within a scope and repacked in
/// the next one, so products always see the parameter's current values.
final class FrozenParametersTests: XCTestCase {
    private var savedPath = MatrixPath.fp32

    override func setUp() { savedPath = GEMM.path }
    override func tearDown() { GEMM.path = savedPath }

    /// x · Wᵀ with k = 270: two depth blocks of packed panels; 24 rows are split between two
    /// threads by columns (each band starting at its own packed panel), 600 rows by rows.
    func testPackedParametersFollowTheirValuesAcrossScopes() throws {
        for path in MatrixPath.allCases where path.isAvailable {
            GEMM.path = path
            for rows in [24, 600] { try checkPackedParametersFollowTheirValues(rows: rows) }
        }
    }

    private func checkPackedParametersFollowTheirValues(rows: Int) throws {
        var generator = SeededGenerator(seed: 3)
        let weight = Tensor(shape: [300, 270], scalars: (0..<300 * 270).map { _ in generator.uniform(-1, 1) },
                            requiresGrad: true)
        let input = Tensor(shape: [rows, 270], scalars: (0..<rows * 270).map { _ in generator.uniform(-1, 1) },
                           requiresGrad: true)
        func productAndInputGradient() -> ([Float], [Float]) {
            input.zeroGrad()
            weight.zeroGrad()
            let output = input.matmul(weight, transposeB: true)
            output.sum().backward()
            return (output.scalars, input.grad!.scalars)
        }
        let unscoped = productAndInputGradient()
        let scoped = withFrozenParameters { productAndInputGradient() }
        assertSame(scoped.0, unscoped.0, "the packed weight gives the same product")
        assertSame(scoped.1, unscoped.1, "and the same input gradient (∂x = ∂y · W, W packed plain)")
        let twice = withFrozenParameters { (productAndInputGradient(), productAndInputGradient()) }
        assertSame(twice.1.0, unscoped.0, "a second product in the scope reuses the packed weight")

        // An optimizer step between scopes changes the weight: the next scope must see it.
        for index in 0..<weight.count { weight.data[index] *= -0.5 }
        let changed = productAndInputGradient()
        XCTAssertNotEqual(changed.0, unscoped.0, "\(GEMM.path): the weight changed")
        let rescoped = withFrozenParameters { productAndInputGradient() }
        assertSame(rescoped.0, changed.0, "the next scope repacks the changed weight")
        assertSame(rescoped.1, changed.1, "and its input gradient")
    }

    /// `linear(W, rows:, bias:)` is the sliced form's product and gradients, bit for bit, on every
    /// path (each block used once), in a scope (each block packed once) and outside one.
    func testRowBlockOfAParameterIsItsSlice() {
        for path in MatrixPath.allCases where path.isAvailable {
            GEMM.path = path
            for rows in [24, 600] {
                var generator = SeededGenerator(seed: 5)
                let weight = Tensor.normal([96, 40], generator: &generator, requiresGrad: true)
                let bias = Tensor.normal([96], generator: &generator, requiresGrad: true)
                let input = Tensor.normal([rows, 40], generator: &generator, requiresGrad: true)
                func run(sliced: Bool) -> [[Float]] {
                    for tensor in [weight, bias, input] { tensor.zeroGrad() }
                    func block(_ x: Tensor, _ range: Range<Int>) -> Tensor {
                        sliced ? x.linear(weight.slice(axis: 0, start: range.lowerBound, length: range.count),
                                          bias: bias.slice(axis: 0, start: range.lowerBound, length: range.count))
                               : x.linear(weight, rows: range, bias: bias)
                    }
                    // Each block used once: used twice, the sliced form sums the two products' ∂W before
                    // adding them to the rest, the block form adds each (the gradient checks cover that).
                    let query = block(input, 8..<40), keys = block(input * 0.5, 40..<96)
                    let output = Tensor.concat([query * query, keys], axis: 1)
                    output.backward(seed: Tensor.ones(output.shape))
                    return [output.scalars, input.grad!.scalars, weight.grad!.scalars, bias.grad!.scalars]
                }
                let sliced = run(sliced: true)
                for (scoped, label) in [(false, "unscoped"), (true, "scoped")] {
                    let blocks = scoped ? withFrozenParameters { run(sliced: false) } : run(sliced: false)
                    for (index, name) in ["output", "∂x", "∂W", "∂b"].enumerated() {
                        assertSame(blocks[index], sliced[index], "\(rows) rows, \(label): \(name)")
                    }
                }
                XCTAssertEqual(Array(weight.grad!.scalars[0..<8 * 40]), [Float](repeating: 0, count: 8 * 40),
                               "\(path): rows outside every block get no gradient")
            }
        }
    }

    /// Equal element for element; a failure names the largest difference, not both arrays.
    private func assertSame(_ x: [Float], _ y: [Float], _ message: String, line: UInt = #line) {
        let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
        XCTAssertTrue(x == y, "\(GEMM.path), \(x.count) values: \(message): differ by up to \(worst)", line: line)
    }
}
