import Foundation
import XCTest
import Autograd

/// `Vector` kernels against Foundation's Float64 functions (the reference, correctly rounded to
/// well below a Float32 ulp) over dense sweeps, special values, aliasing and every tail length.
///
/// Bounds are about 3× the errors measured (exp 8.2e-8 relative, log 7.7e-8 relative, tanh
/// 7.5e-8 absolute, sigmoid 8.9e-8 absolute — all within ~2.4 ulp), so a wrong digit in any
/// but the last polynomial coefficients, or a wrong range reduction, fails them.
final class ElementwiseTests: XCTestCase {
    typealias Kernel = (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void

    func apply(_ kernel: Kernel, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                if let xp = xs.baseAddress, let yp = ys.baseAddress { kernel(xp, yp, x.count) }
            }
        }
        return y
    }

    /// `count` points evenly spaced over `[low, high]`.
    func sweep(_ low: Double, _ high: Double, count: Int = 100_001) -> [Float] {
        (0..<count).map { Float(low + (high - low) * Double($0) / Double(count - 1)) }
    }

    /// Maximum absolute and relative (where the reference is a normal float) errors.
    func errors(_ kernel: Kernel, _ x: [Float], _ reference: (Double) -> Double) -> (absolute: Double, relative: Double) {
        let y = apply(kernel, x)
        var absolute = 0.0, relative = 0.0
        for (xi, yi) in zip(x, y) {
            let r = reference(Double(xi))
            let error = abs(Double(yi) - r)
            absolute = max(absolute, error.isNaN ? .infinity : error)
            if abs(r) >= Double(Float.leastNormalMagnitude) { relative = max(relative, error.isNaN ? .infinity : error / abs(r)) }
        }
        return (absolute, relative)
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    func testExpRelativeAccuracy() {
        XCTAssertLessThanOrEqual(errors(Vector.exp, sweep(-20, 20), Foundation.exp).relative, 2.5e-7)
        // Up to overflow, and down through the subnormals (relative error only on normals).
        let wide = errors(Vector.exp, sweep(-103.9, 88.72), Foundation.exp)
        XCTAssertLessThanOrEqual(wide.relative, 2.5e-7)
        XCTAssertLessThanOrEqual(errors(Vector.exp, sweep(-103.9, -87.4), Foundation.exp).absolute, 1.5e-45)
    }

    func testLogRelativeAccuracy() {
        let logarithmic = (0..<100_001).map { Float(Foundation.pow(10, -37.9 + 76 * Double($0) / 100_000)) }
        XCTAssertLessThanOrEqual(errors(Vector.log, logarithmic, Foundation.log).relative, 2.5e-7)
        // Around 1, where ln x → 0 and only a careful f = m − 1 keeps the relative accuracy.
        XCTAssertLessThanOrEqual(errors(Vector.log, sweep(0.5, 2), Foundation.log).relative, 2.5e-7)
        let subnormal = (0..<10_001).map { Float(Foundation.pow(10, -44.8 + 6.8 * Double($0) / 10_000)) }
        XCTAssertLessThanOrEqual(errors(Vector.log, subnormal, Foundation.log).relative, 2.5e-7)
    }

    func testTanhAccuracy() {
        let dense = errors(Vector.tanh, sweep(-20, 20), Foundation.tanh)
        XCTAssertLessThanOrEqual(dense.absolute, 2.5e-7)
        XCTAssertLessThanOrEqual(dense.relative, 4e-7)
        // Tiny |x|: relative accuracy, where 1 − 2/(e²ˣ + 1) would cancel catastrophically.
        let tiny = (0..<10_001).map { Float(Foundation.pow(10, -30 + 29.8 * Double($0) / 10_000)) }
        XCTAssertLessThanOrEqual(errors(Vector.tanh, tiny, Foundation.tanh).relative, 4e-7)
        XCTAssertLessThanOrEqual(errors(Vector.tanh, tiny.map { -$0 }, Foundation.tanh).relative, 4e-7)
    }

    func testSigmoidAccuracy() {
        let dense = errors(Vector.sigmoid, sweep(-20, 20), Self.sigmoid)
        XCTAssertLessThanOrEqual(dense.absolute, 2.5e-7)
        XCTAssertLessThanOrEqual(dense.relative, 5e-7)
        // Far left σ(x) ≈ eˣ: still relatively accurate, where 1/(1 + e⁻ˣ) would be too.
        XCTAssertLessThanOrEqual(errors(Vector.sigmoid, sweep(-87, -20), Self.sigmoid).relative, 5e-7)
    }

    /// Within 1 ulp over the whole positive range (random bit patterns, subnormals included).
    func testSquareRootAccuracy() {
        var generator = SeededGenerator(seed: 1)
        let x = (0..<200_000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) % 0x7F80_0000) }
        let y = apply(Vector.squareRoot, x)
        var worst = 0.0
        for (xi, yi) in zip(x, y) {
            let r = Double(xi).squareRoot()
            worst = max(worst, abs(Double(yi) - r) / Double(Float(r).ulp))
        }
        XCTAssertLessThanOrEqual(worst, 1)
        let special = apply(Vector.squareRoot, [0, -0.0, .infinity, -1, .nan, -.infinity, 4, 1e-40])
        XCTAssertEqual(Array(special[0...2]), [0, 0, .infinity])
        XCTAssertEqual(special[1].sign, .minus)
        XCTAssertTrue(special[3].isNaN && special[4].isNaN && special[5].isNaN)
        XCTAssertEqual(special[6], 2)
        XCTAssertEqual(special[7], Float(1e-40).squareRoot())
    }

    func testSpecialValues() {
        let inf = Float.infinity
        let x: [Float] = [inf, -inf, .nan, 0, -0.0, 100, -100, 50, -50, 88.8, -104.5]
        let e = apply(Vector.exp, x)
        XCTAssertEqual(Array(e[0...1]), [inf, 0])
        XCTAssertTrue(e[2].isNaN)
        XCTAssertEqual(Array(e[3...4]), [1, 1])
        XCTAssertEqual(e[5], inf)                               // exp(100) overflows
        XCTAssertEqual(Double(e[6]), Foundation.exp(-100.0), accuracy: 1.5e-45)  // subnormal 3.7e-44
        XCTAssertEqual(e[7], Foundation.exp(Float(50)), accuracy: 5e-7 * e[7])
        XCTAssertEqual(e[9], inf)
        XCTAssertEqual(e[10], 0)

        let t = apply(Vector.tanh, x)
        XCTAssertEqual(Array(t[0...1]), [1, -1])
        XCTAssertTrue(t[2].isNaN)
        XCTAssertEqual(t[3], 0)
        XCTAssertEqual(t[4].sign, .minus, "tanh(−0) = −0")
        XCTAssertEqual(Array(t[5...8]), [1, -1, 1, -1])          // tanh(±50) = ±1 exactly
        XCTAssertEqual(apply(Vector.tanh, [1e-30, -Float.leastNormalMagnitude / 4])[0], 1e-30)

        let s = apply(Vector.sigmoid, x)
        XCTAssertEqual(Array(s[0...1]), [1, 0])
        XCTAssertTrue(s[2].isNaN)
        XCTAssertEqual(Array(s[3...4]), [0.5, 0.5])
        XCTAssertEqual(s[5], 1)
        XCTAssertGreaterThanOrEqual(s[6], 0)
        XCTAssertEqual(Double(s[6]), Self.sigmoid(-100), accuracy: 1.5e-45)  // no overflow, no NaN
        XCTAssertEqual(s[10], 0)

        let l = apply(Vector.log, [inf, 0, -0.0, -1, .nan, -inf, 1, Float.leastNonzeroMagnitude, .greatestFiniteMagnitude])
        XCTAssertEqual(Array(l[0...2]), [inf, -inf, -inf])
        XCTAssertTrue(l[3].isNaN && l[4].isNaN && l[5].isNaN)
        XCTAssertEqual(l[6], 0)
        XCTAssertEqual(l[7], Foundation.log(Float.leastNonzeroMagnitude), accuracy: 1e-5)
        XCTAssertEqual(l[8], Foundation.log(Float.greatestFiniteMagnitude), accuracy: 1e-5)
    }

    /// Every tail length gives the same element values as the vector body, writes nothing past
    /// `count`, and in place (`x == y`) equals out of place.
    func testTailsAndAliasing() {
        let kernels: [(String, Kernel, ClosedRange<Double>)] = [
            ("exp", Vector.exp, -10...10), ("log", Vector.log, 0.01...50),
            ("tanh", Vector.tanh, -5...5), ("sigmoid", Vector.sigmoid, -10...10),
            ("squareRoot", Vector.squareRoot, 0...100),
        ]
        for (name, kernel, range) in kernels {
            let x = sweep(range.lowerBound, range.upperBound, count: 1000)
            let full = apply(kernel, x)
            for count in [0, 1, 15, 16, 17, 31, 33, 1000] {
                var y = [Float](repeating: -7, count: count + 1)
                x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { kernel(xs.baseAddress!, $0.baseAddress!, count) } }
                XCTAssertEqual(Array(y[..<count]), Array(full[..<count]), "\(name), count \(count)")
                XCTAssertEqual(y[count], -7, "\(name) wrote past count \(count)")
                // Different starting offsets put different elements into the tail.
                if count > 0 {
                    var shifted = [Float](repeating: 0, count: count - 1)
                    x.withUnsafeBufferPointer { xs in shifted.withUnsafeMutableBufferPointer { kernel(xs.baseAddress! + 1, $0.baseAddress!, count - 1) } }
                    XCTAssertEqual(shifted, Array(full[1..<count]), "\(name), offset 1, count \(count - 1)")
                }
            }
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { kernel($0.baseAddress!, $0.baseAddress!, 1000) }
            XCTAssertEqual(inPlace, full, "\(name) in place")
        }
    }

    // MARK: Arithmetic and reductions against plain loops

    func testArithmeticMatchesPlainLoops() {
        for count in [0, 1, 15, 16, 17, 63, 64, 65, 130, 1000] {
            let a = (0..<count).map { sin(Float($0)) * 3 }, b = (0..<count).map { cos(Float($0) * 0.7) }
            let c = (0..<count).map { Float($0 % 5) - 2 }
            func run(_ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
                var y = c + [-7]
                y.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
                XCTAssertEqual(y[count], -7, "wrote past count \(count)")
                return Array(y[..<count])
            }
            XCTAssertEqual(run { Vector.add(a, b, $0, count) }, (0..<count).map { a[$0] + b[$0] })
            XCTAssertEqual(run { Vector.multiply(a, b, $0, count) }, (0..<count).map { a[$0] * b[$0] })
            XCTAssertEqual(run { Vector.multiplyAdd(a, b, $0, count) }, (0..<count).map { c[$0].addingProduct(a[$0], b[$0]) })
            XCTAssertEqual(run { Vector.add(a, scaledBy: 0.25, to: $0, count) }, (0..<count).map { c[$0].addingProduct(a[$0], 0.25) })
            XCTAssertEqual(run { Vector.scale(a, by: -1.5, $0, count) }, (0..<count).map { a[$0] * -1.5 })

            let sum = a.reduce(0.0) { $0 + Double($1) }, dot = (0..<count).reduce(0.0) { $0 + Double(a[$1]) * Double(b[$1]) }
            let squares = a.reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertEqual(Double(Vector.sum(a, count)), sum, accuracy: 1e-5 * max(1, Double(count)))
            XCTAssertEqual(Double(Vector.dot(a, b, count)), dot, accuracy: 1e-5 * max(1, Double(count)))
            XCTAssertEqual(Double(Vector.sumOfSquares(a, count)), squares, accuracy: 1e-6 * max(1, squares))
            XCTAssertEqual(Vector.max(a, count), a.max() ?? -.infinity, "max, count \(count)")
        }
    }

    func testMaxPropagatesNaNAndFindsTheLastLane() {
        var x = [Float](repeating: -1, count: 37)
        x[36] = 5
        XCTAssertEqual(Vector.max(x, 37), 5)
        x[20] = .nan
        XCTAssertTrue(Vector.max(x, 37).isNaN)
        XCTAssertEqual(Vector.max(x, 0), -.infinity)
    }
}
