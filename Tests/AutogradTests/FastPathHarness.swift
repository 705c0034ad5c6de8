import Autograd
import XCTest

/// The harness of the fast-path tests: an op's SIMD, parallel and fresh-gradient paths against
/// a straightforward Float64 computation of the same values and gradients.
///
/// Each case runs the op on copies of its inputs with 1 and with 2 threads, seeds the backward
/// pass with a fixed random projection, and checks: values and gradients against the reference;
/// the two thread counts agree to the bit; and a second backward pass without zeroing doubles
/// every gradient (the accumulating path after the fresh one).
class FastPathTestCase: XCTestCase {
    private var savedThreads = 1

    override func setUp() {
        super.setUp()
        savedThreads = Parallel.threadCount
    }

    override func tearDown() {
        Parallel.threadCount = savedThreads
        super.tearDown()
    }

    struct Run: Equatable {
        var output: [Float]
        var gradients: [[Float]]
    }

    /// The reference: values, and gradients given the output gradient `g`.
    typealias Reference = (_ inputs: [[Double]], _ g: [Double]) -> (output: [Double], gradients: [[Double]])

    /// Runs `function` on copies of `inputs` with `threads` threads and `passes` backward passes.
    func evaluate(_ inputs: [Tensor], threads: Int, passes: Int, _ function: ([Tensor]) -> Tensor) -> (Run, [Float]) {
        Parallel.threadCount = threads
        let copies = inputs.map { t -> Tensor in let c = t.copy(); c.requiresGrad = true; return c }
        var seed: [Float] = []
        var output: [Float] = []
        for _ in 0..<passes {
            let out = function(copies)
            var generator = SeededGenerator(seed: 99)
            let projection = Tensor.normal(out.shape, generator: &generator)
            seed = projection.scalars
            output = out.scalars
            out.backward(seed: projection)
        }
        return (Run(output: output, gradients: copies.map { $0.grad?.scalars ?? [] }), seed)
    }

    /// Checks `function` against `reference` on 1 and 2 threads, one pass and two.
    func check(_ name: String, _ inputs: [Tensor], tolerance: Double = 2e-6, _ function: ([Tensor]) -> Tensor,
               reference: Reference, file: StaticString = #filePath, line: UInt = #line) {
        let (serial, seed) = evaluate(inputs, threads: 1, passes: 1, function)
        let (pooled, _) = evaluate(inputs, threads: 2, passes: 1, function)
        XCTAssertTrue(serial == pooled, "\(name): 1 and 2 threads differ", file: file, line: line)
        let expected = reference(inputs.map { $0.scalars.map(Double.init) }, seed.map(Double.init))
        assertClose(name + " output", serial.output, expected.output, tolerance, file: file, line: line)
        for (index, (actual, wanted)) in zip(serial.gradients, expected.gradients).enumerated() {
            assertClose(name + " ∂input\(index)", actual, wanted, tolerance, file: file, line: line)
        }
        for threads in [1, 2] {
            let (twice, _) = evaluate(inputs, threads: threads, passes: 2, function)
            for (index, (actual, wanted)) in zip(twice.gradients, expected.gradients).enumerated() {
                assertClose(name + " ∂input\(index) after two passes, \(threads) threads", actual,
                            wanted.map { 2 * $0 }, tolerance, file: file, line: line)
            }
        }
    }

    /// `max |a − e| ≤ tolerance · max(1, max |e|)`, the first offender named.
    func assertClose(_ name: String, _ actual: [Float], _ expected: [Double], _ tolerance: Double,
                     file: StaticString = #filePath, line: UInt = #line) {
        guard actual.count == expected.count else {
            XCTFail("\(name): \(actual.count) elements, expected \(expected.count)", file: file, line: line)
            return
        }
        let scale = max(1, expected.map { abs($0) }.filter(\.isFinite).max() ?? 1)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            let same = (a.isInfinite && e.isInfinite && (a < 0) == (e < 0)) || abs(Double(a) - e) <= tolerance * scale
            if !same {
                XCTFail("\(name): element \(i) is \(a), expected \(e) (scale \(scale))", file: file, line: line)
                return
            }
        }
    }

    func random(_ shape: [Int], seed: UInt64, _ low: Float = -1, _ high: Float = 1) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.uniform(shape, low: low, high: high, generator: &generator)
    }
}

/// Row-major strides and NumPy broadcasting, element by element, for the references.
enum Naive {
    static func strides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return strides
    }

    /// For every element of the broadcast result, the flat indices into `a` and `b`.
    static func broadcast(_ a: [Int], _ b: [Int]) -> (shape: [Int], pairs: [(Int, Int)]) {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a, pb = Array(repeating: 1, count: rank - b.count) + b
        let shape = (0..<rank).map { max(pa[$0], pb[$0]) }
        let sa = strides(pa), sb = strides(pb), count = shape.reduce(1, *)
        var pairs: [(Int, Int)] = []
        for flat in 0..<count {
            var rest = flat, i = 0, j = 0
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                let index = rest % shape[axis]
                rest /= shape[axis]
                if pa[axis] > 1 { i += index * sa[axis] }
                if pb[axis] > 1 { j += index * sb[axis] }
            }
            pairs.append((i, j))
        }
        return (shape, pairs)
    }
}
