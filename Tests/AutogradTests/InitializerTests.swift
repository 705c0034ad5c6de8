import Foundation
import XCTest
import Autograd

final class InitializerTests: XCTestCase {
    /// `MᵀM` (when `columns`) or `MMᵀ`, for a row-major `[rows, cols]` tensor, against `gain²·I`.
    func maxDeviationFromIdentity(_ t: Tensor, rows: Int, cols: Int, columns: Bool, gain: Double = 1) -> Double {
        let n = columns ? cols : rows, inner = columns ? rows : cols
        var deviation = 0.0
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for k in 0..<inner {
                    let x = columns ? t.data[k * cols + i] : t.data[i * cols + k]
                    let y = columns ? t.data[k * cols + j] : t.data[j * cols + k]
                    s += Double(x) * Double(y)
                }
                deviation = max(deviation, abs(s - (i == j ? gain * gain : 0)))
            }
        }
        return deviation
    }

    func testFansFollowPyTorch() {
        XCTAssertTrue(Tensor.fans(of: [30, 20]) == (20, 30))
        XCTAssertTrue(Tensor.fans(of: [8, 4, 3, 5]) == (60, 120))
    }

    func testOrthogonalSquareTallAndWide() {
        var generator = SeededGenerator(seed: 7)
        let square = Tensor.orthogonal([64, 64], generator: &generator)
        XCTAssertLessThan(maxDeviationFromIdentity(square, rows: 64, cols: 64, columns: true), 1e-5)
        XCTAssertLessThan(maxDeviationFromIdentity(square, rows: 64, cols: 64, columns: false), 1e-5)
        let tall = Tensor.orthogonal([96, 32], gain: 2, generator: &generator)
        XCTAssertLessThan(maxDeviationFromIdentity(tall, rows: 96, cols: 32, columns: true, gain: 2), 2e-5)
        let wide = Tensor.orthogonal([20, 4, 5], generator: &generator)  // viewed as [20, 20]: square
        XCTAssertLessThan(maxDeviationFromIdentity(wide, rows: 20, cols: 20, columns: false), 1e-5)
        let wider = Tensor.orthogonal([10, 45], generator: &generator)
        XCTAssertLessThan(maxDeviationFromIdentity(wider, rows: 10, cols: 45, columns: false), 1e-5)
    }

    func testOrthogonalBlocksAreEachOrthogonal() {
        var generator = SeededGenerator(seed: 3)
        let h = 16
        let gru = Tensor.orthogonal([3 * h, h], blocks: 3, generator: &generator)
        for gate in 0..<3 {
            let block = Tensor(shape: [h, h], scalars: Array(gru.scalars[(gate * h * h)..<((gate + 1) * h * h)]))
            XCTAssertLessThan(maxDeviationFromIdentity(block, rows: h, cols: h, columns: true), 1e-5, "gate \(gate)")
        }
        // As a whole it is not semi-orthogonal: QᵀQ = 3·I.
        XCTAssertLessThan(maxDeviationFromIdentity(gru, rows: 3 * h, cols: h, columns: true, gain: 3.0.squareRoot()), 1e-4)
    }

    /// The sign-corrected Householder `Q` equals `torch.linalg.qr(A)` with `q *= sign(diag r)`,
    /// as `torch.nn.init.orthogonal_` computes it (values from PyTorch 2.x, Float64).
    func testOrthonormalizedMatchesPyTorchQR() {
        let a: [Double] = [0.3, -1.2, 0.8, 1.5, 0.2, -0.7, -0.4, 0.9, 1.1, 0.6, -0.5, 0.25, -1.3, 0.45, -0.9]
        let tall: [Double] = [0.1406421692815485, -0.7238658023323091, 0.2885072326533121, 0.7032108464077431,
                              0.40952652425528185, -0.319614753946257, -0.18752289237539818, 0.5102836167965553,
                              0.7511904893275665, 0.28128433856309726, -0.21308232752881628, 0.08872627095676454,
                              -0.6094494002200441, 0.0501286172671679, -0.49239261098489223]
        let q = Tensor.orthonormalized(a, rows: 5, cols: 3)
        for (x, y) in zip(q, tall) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        // The wide case transposes in and out: Aᵀ's factor is the transpose of A's.
        var aT = [Double](repeating: 0, count: 15), tallT = aT
        for i in 0..<5 { for j in 0..<3 { aT[j * 5 + i] = a[i * 3 + j]; tallT[j * 5 + i] = tall[i * 3 + j] } }
        for (x, y) in zip(Tensor.orthonormalized(aT, rows: 3, cols: 5), tallT) { XCTAssertEqual(x, y, accuracy: 1e-12) }
    }

    func testXavierUniformBoundsAndVariance() {
        var generator = SeededGenerator(seed: 11)
        let (out, inp) = (300, 200)
        let w = Tensor.xavierUniform([out, inp], gain: 1.5, generator: &generator)
        let bound = 1.5 * (6.0 / Double(out + inp)).squareRoot()
        let values = w.scalars.map(Double.init)
        XCTAssertLessThanOrEqual(values.map(abs).max() ?? 0, bound)
        XCTAssertGreaterThan(values.map(abs).max() ?? 0, 0.999 * bound, "the draws should fill the interval")
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        // Var U(−a, a) = a²/3 = gain²·2/(fanIn + fanOut); 60 000 draws: standard error ≈ 0.4 %.
        XCTAssertEqual(variance, 1.5 * 1.5 * 2 / Double(out + inp), accuracy: 0.02 * bound * bound / 3)
        XCTAssertEqual(mean, 0, accuracy: 0.02 * bound)
    }

    func testUniformBound() {
        var generator = SeededGenerator(seed: 5)
        let w = Tensor.uniform([1000], bound: 0.125, generator: &generator, requiresGrad: true)
        XCTAssertTrue(w.requiresGrad)
        XCTAssertTrue(w.scalars.allSatisfy { $0 >= -0.125 && $0 < 0.125 })
        XCTAssertLessThan(w.scalars.min() ?? 0, -0.12)
        XCTAssertGreaterThan(w.scalars.max() ?? 0, 0.12)
    }

    func testSameSeedSameTensorsDifferentSeedDifferent() {
        func draw(_ seed: UInt64) -> [[Float]] {
            var generator = SeededGenerator(seed: seed)
            return [Tensor.xavierUniform([8, 6], generator: &generator).scalars,
                    Tensor.orthogonal([6, 9], generator: &generator).scalars,
                    Tensor.uniform([5], bound: 1, generator: &generator).scalars]
        }
        XCTAssertEqual(draw(42), draw(42))
        let other = draw(43)
        for (x, y) in zip(draw(42), other) { XCTAssertNotEqual(x, y) }
    }

    /// xoshiro256**'s reference outputs from the state `1, 2, 3, 4` (computed from Blackman and
    /// Vigna's definition), and a state that survives encoding and rejects all zeros.
    func testGeneratorIsXoshiro256StarStarAndRoundTrips() throws {
        var generator = try XCTUnwrap(SeededGenerator(state: [1, 2, 3, 4]))
        XCTAssertEqual((0..<6).map { _ in generator.next() },
                       [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600])
        let decoded = try JSONDecoder().decode(SeededGenerator.self, from: JSONEncoder().encode(generator))
        XCTAssertEqual(decoded, generator)
        XCTAssertEqual(decoded.state, generator.state)
        XCTAssertNil(SeededGenerator(state: [0, 0, 0, 0]))
        XCTAssertThrowsError(try JSONDecoder().decode(SeededGenerator.self, from: Data(#"{"state":[0,0,0,0]}"#.utf8)))
    }
}
