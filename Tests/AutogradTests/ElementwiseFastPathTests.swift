import Autograd
import Foundation
import XCTest

/// The binary ops in every broadcast layout with a fast path (same shapes, a row over the rows,
/// a column, a scalar, either operand broadcast) and the strided fallback; the activations;
/// and the gradient a pullback hands on without a copy. Sizes are odd (tails of every length)
/// and large enough to split over the `Parallel` pool.
final class ElementwiseFastPathTests: FastPathTestCase {
    typealias Rule = (value: (Double, Double) -> Double, da: (Double, Double) -> Double, db: (Double, Double) -> Double)

    static let rules: [(String, ([Tensor]) -> Tensor, Rule)] = [
        ("+", { $0[0] + $0[1] }, ({ $0 + $1 }, { _, _ in 1 }, { _, _ in 1 })),
        ("−", { $0[0] - $0[1] }, ({ $0 - $1 }, { _, _ in 1 }, { _, _ in -1 })),
        ("×", { $0[0] * $0[1] }, ({ $0 * $1 }, { _, b in b }, { a, _ in a })),
        ("÷", { $0[0] / $0[1] }, ({ $0 / $1 }, { _, b in 1 / b }, { a, b in -a / (b * b) })),
    ]

    /// Shapes of `a` and `b`: the layouts of `Broadcast.Layout`, large and small.
    static let layouts: [(String, [Int], [Int])] = [
        ("same", [301, 211], [301, 211]),
        ("same, tiny", [3, 5], [3, 5]),
        ("row of b", [301, 211], [211]),
        ("row of b, rank 3", [7, 43, 211], [43, 211]),
        ("row of a", [1, 211], [301, 211]),
        ("column of b", [301, 211], [301, 1]),
        ("column of b, rank 3", [9, 37, 211], [9, 37, 1]),
        ("column of a", [301, 1], [301, 211]),
        ("scalar b", [301, 211], [1]),
        ("scalar a", [], [301, 211]),
        ("row of b, short rows", [4001, 17], [17]),
        ("column of b, one long row", [1, 70_001], [1, 1]),
        ("general", [301, 1], [1, 211]),
        ("general, rank 3", [7, 1, 211], [1, 43, 1]),
    ]

    func testBinaryOpsInEveryLayoutMatchTheNaiveBroadcast() {
        for (symbol, function, rule) in Self.rules {
            for (layout, aShape, bShape) in Self.layouts {
                let a = random(aShape, seed: 1)
                // Divisors kept away from 0.
                let b = symbol == "÷" ? random(bShape, seed: 2, 0.5, 2) : random(bShape, seed: 2)
                // Float sums over up to 70,001 terms for a broadcast operand's gradient.
                check("a \(symbol) b, \(layout)", [a, b], tolerance: 2e-5, function) { inputs, g in
                    let (_, pairs) = Naive.broadcast(aShape, bShape)
                    var output = [Double](), da = [Double](repeating: 0, count: inputs[0].count)
                    var db = [Double](repeating: 0, count: inputs[1].count)
                    for (o, (i, j)) in pairs.enumerated() {
                        let x = inputs[0][i], y = inputs[1][j]
                        output.append(rule.value(x, y))
                        da[i] += g[o] * rule.da(x, y)
                        db[j] += g[o] * rule.db(x, y)
                    }
                    return (output, [da, db])
                }
            }
        }
    }

    func testScalarArithmeticMatches() {
        let x = random([257, 131], seed: 3)
        check("x·1.7 + 0.3", [x], { $0[0] * 1.7 + 0.3 }) { inputs, g in
            (inputs[0].map { $0 * Double(Float(1.7)) + Double(Float(0.3)) }, [g.map { $0 * Double(Float(1.7)) }])
        }
        check("−x", [x], { -$0[0] }) { inputs, g in (inputs[0].map { -$0 }, [g.map { -$0 }]) }
    }

    func testActivationsMatchTheirDefinitions() {
        typealias Unary = (String, (Tensor) -> Tensor, (Double) -> Double, (Double) -> Double, Float, Float)
        let gelu = { (x: Double) -> Double in 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())) }  // exact, as PyTorch
        let cases: [Unary] = [
            ("exp", { $0.exp() }, { Foundation.exp($0) }, { Foundation.exp($0) }, -3, 3),
            ("log", { $0.log() }, { Foundation.log($0) }, { 1 / $0 }, 0.2, 4),
            ("sqrt", { $0.sqrt() }, { $0.squareRoot() }, { 0.5 / $0.squareRoot() }, 0.2, 4),
            ("tanh", { $0.tanh() }, { Foundation.tanh($0) }, { 1 - Foundation.tanh($0) * Foundation.tanh($0) }, -3, 3),
            ("sigmoid", { $0.sigmoid() }, { 1 / (1 + Foundation.exp(-$0)) },
             { let s = 1 / (1 + Foundation.exp(-$0)); return s * (1 - s) }, -5, 5),
            ("relu", { $0.relu() }, { max($0, 0) }, { $0 > 0 ? 1 : 0 }, -1, 1),
            ("gelu", { $0.gelu() }, gelu, { (gelu($0 + 1e-6) - gelu($0 - 1e-6)) / 2e-6 }, -3, 3),
        ]
        for (name, function, value, derivative, low, high) in cases {
            for shape in [[257, 131], [3, 7]] {
                check("\(name) \(shape)", [random(shape, seed: 4, low, high)], tolerance: 1e-5, { function($0[0]) }) { inputs, g in
                    (inputs[0].map(value), [zip(inputs[0], g).map { derivative($0) * $1 }])
                }
            }
        }
    }

    /// A pullback hands its gradient on without a copy (add, subtract, reshape) to one input
    /// only: an input used twice, or two inputs taking the same gradient, must still get theirs.
    func testGradientsHandedOnWithoutACopyStayCorrect() {
        var generator = SeededGenerator(seed: 5)
        func r(_ shape: [Int]) -> Tensor { Tensor.uniform(shape, low: -1, high: 1, generator: &generator) }
        let cases: [(String, [Tensor], ([Tensor]) -> Tensor)] = [
            ("x + x", [r([3, 4])], { $0[0] + $0[0] }),
            ("x − x + x·x", [r([3, 4])], { ($0[0] - $0[0]) + $0[0] * $0[0] }),
            ("(x + y)·x, y reshaped", [r([3, 4]), r([12])], { ($0[0] + $0[1].reshaped([3, 4])) * $0[0] }),
            ("s = x + y; s·s + y", [r([2, 5]), r([2, 5])], { let s = $0[0] + $0[1]; return s * s + $0[1] }),
            ("z = x·W + b used twice", [r([4, 3]), r([3, 5]), r([5])], { x in
                let z = x[0].matmul(x[1]) + x[2]
                return z.tanh() + z.reshaped([5, 4]).reshaped([4, 5]) * z
            }),
            ("reshape of a reshape, summed with its source", [r([6, 2])], { $0[0].reshaped([3, 4]).reshaped([12]).reshaped([6, 2]) + $0[0] }),
        ]
        for (name, inputs, function) in cases {
            let result = GradientCheck.check(inputs, function)
            XCTAssertTrue(result.passes(), "\(name): \(result)")
        }
    }
}
