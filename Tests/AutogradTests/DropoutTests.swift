import Autograd
import XCTest

/// Dropout's masks: SplitMix64's bits, element by element, the same on any number of threads,
/// and the same mask in the pullback as in the forward pass.
final class DropoutTests: XCTestCase {
    private var savedThreads = 0

    override func setUp() { savedThreads = Parallel.threadCount }
    override func tearDown() { Parallel.threadCount = savedThreads }

    /// SplitMix64 written out here, independently of the engine's vector code.
    private static func mix(_ z: UInt64) -> UInt64 {
        var z = z
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Element `i`'s 24 bits for a call with key `key`: word `i / 2`, bits 16–39 or 40–63.
    private static func bits(key: UInt64, _ i: Int) -> UInt32 {
        let word = mix(key &+ UInt64(i / 2) &* gamma)
        return UInt32(truncatingIfNeeded: word >> (i % 2 == 0 ? 16 : 40)) & 0xFF_FFFF
    }

    func testReferenceMixIsSplitMix64() {
        // SplitMix64 seeded with 0: its first output is mix(γ) (Vigna's splitmix64.c).
        XCTAssertEqual(Self.mix(Self.gamma), 0xE220_A839_7B1D_CDAF)
    }

    func testEveryElementFollowsItsBitsOnOneAndTwoThreads() {
        for (count, p) in [(37, Float(0.3)), (20_011, 0.3), (50_000, 0.1), (16_390, 0.75)] {
            var results: [[Float]] = []
            for threads in [1, 2] {
                Parallel.threadCount = threads
                var generator = SeededGenerator(seed: 42)
                var copy = generator
                let key = copy.next()
                let out = Tensor.ones([count]).dropout(probability: p, generator: &generator)
                XCTAssertEqual(generator, copy, "one word drawn per call")
                let threshold = UInt32((p * 0x1p24).rounded(.up)), keep = 1 / (1 - p)
                let expected = (0..<count).map { Self.bits(key: key, $0) >= threshold ? keep : 0 }
                XCTAssertEqual(out.scalars, expected, "\(count) elements, p = \(p), \(threads) threads")
                results.append(out.scalars)
            }
            XCTAssertEqual(results[0], results[1])
        }
    }

    func testAnElementOnTheThresholdIsKept() {
        // With p = b / 2²⁴ for element 0's own bits b, u = p is not below p: kept; a hair more drops it.
        var generator = SeededGenerator(seed: 7)
        var copy = generator
        let b = Self.bits(key: copy.next(), 0)
        let onThreshold = Float(b) * 0x1p-24
        XCTAssertEqual(Tensor.ones([1]).dropout(probability: onThreshold, generator: &generator).scalars[0], 1 / (1 - onThreshold))
        generator = SeededGenerator(seed: 7)
        XCTAssertEqual(Tensor.ones([1]).dropout(probability: onThreshold.nextUp, generator: &generator).scalars[0], 0)
    }

    func testRatesAndIndependenceOfNeighbours() {
        let n = 1 << 20
        for p in [Float(0.1), 0.5, 0.9] {
            var generator = SeededGenerator(seed: 5)
            let kept = Tensor.ones([n]).dropout(probability: p, generator: &generator).scalars.map { $0 != 0 }
            let dropped = Double(kept.filter { !$0 }.count) / Double(n)
            XCTAssertEqual(dropped, Double(p), accuracy: 0.003, "p = \(p)")
            // Both halves of one word, and the last of one word with the first of the next.
            for offset in [0, 1] {
                let pairs = stride(from: offset, to: n - 1, by: 2).map { (kept[$0], kept[$0 + 1]) }
                let both = Double(pairs.filter { !$0.0 && !$0.1 }.count) / Double(pairs.count)
                XCTAssertEqual(both, Double(p * p), accuracy: 0.004, "p = \(p), pairs from \(offset)")
            }
        }
    }

    func testSuccessiveCallsDrawNewMasks() {
        var generator = SeededGenerator(seed: 11)
        let x = Tensor.ones([4096])
        let first = x.dropout(probability: 0.5, generator: &generator).scalars
        let second = x.dropout(probability: 0.5, generator: &generator).scalars
        let same = zip(first, second).filter { $0 == $1 }.count
        XCTAssertEqual(Double(same) / 4096, 0.5, accuracy: 0.05)
    }

    func testPullbackUsesTheForwardMaskAndAdds() {
        Parallel.threadCount = 2
        let n = 40_000  // split over both threads
        var generator = SeededGenerator(seed: 3)
        let x = Tensor(shape: [n], scalars: (0..<n).map { Float($0 % 7) - 3 }, requiresGrad: true)
        let c = Tensor(shape: [n], scalars: (0..<n).map { Float($0 % 5) + 0.5 })
        let first = x.dropout(probability: 0.4, generator: &generator)
        let second = x.dropout(probability: 0.4, generator: &generator)
        ((first + second) * c).sum().backward()
        // ∂x = m₁ ⊙ c + m₂ ⊙ c, each mask read off its forward output (nonzero where x % 7 ≠ 3).
        let keep = Float(1) / 0.6
        var worst: Float = 0, checked = 0
        for i in 0..<n where x.scalars[i] != 0 {
            let m1: Float = first.scalars[i] == 0 ? 0 : keep, m2: Float = second.scalars[i] == 0 ? 0 : keep
            worst = max(worst, abs(x.grad!.scalars[i] - (m1 + m2) * c.scalars[i]))
            checked += 1
        }
        XCTAssertGreaterThan(checked, n / 2)
        XCTAssertLessThan(worst, 1e-5)
    }
}
