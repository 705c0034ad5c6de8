/// Dropout's keep-or-drop decisions, drawn per element without a sequential generator.
///
/// A call draws one 64-bit key `K` from the run's generator. Word `j` of the call is SplitMix64's
/// `j`-th output from state `K`, `w_j = mix(K + j·γ)` (`mix` its output function, `γ` its
/// increment: Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators"), and
/// gives two elements 24 uniform bits each: element `2j` bits 16–39, element `2j + 1` bits 40–63.
/// Element `i` is dropped when its bits `b_i` make `b_i / 2²⁴ < p`. Each decision depends on `i`
/// alone, so the elements are split over the pool's threads with the same mask on any number of
/// them, and the pullback recomputes the mask instead of keeping a tensor of it.
struct DropoutMask {
    let key: UInt64
    /// `⌈p · 2²⁴⌉`: an element whose 24 bits fall below it is dropped (`u_i < p`).
    let threshold: UInt32
    /// `1 / (1 − p)`, the factor of a kept element.
    let keep: Float

    /// - Parameter probability: `p`, in `[0, 1)` (`Tensor.dropout` checks it).
    init(probability: Float, key: UInt64) {
        self.key = key
        threshold = UInt32((probability * 0x1p24).rounded(.up))
        keep = 1 / (1 - probability)
    }

    /// `y[i] = x[i] · m_i` (`+=` with `accumulate`) for `i < count`, `m_i` 0 or `1/(1 − p)`;
    /// `x` and `y` may be the same buffer.
    func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, accumulate: Bool) {
        // Pieces start at multiples of 16, so every block starts at an even element.
        Parallel.forEachRange(count, grain: Parallel.transcendentalGrain) { range in
            var i = range.lowerBound
            while i < range.upperBound {
                let width = Swift.min(16, range.upperBound &- i)
                var v = Vector.loadBlock(x + i, width, padding: 0) * factors(at: i)
                if accumulate { v += Vector.loadBlock(y + i, width, padding: 0) }
                Vector.storeBlock(v, y + i, width)
                i &+= 16
            }
        }
    }

    /// `m_i … m_{i+15}` for an even `i`: the words `i/2 … i/2 + 7`, each split into the bits of
    /// its two elements, the even one's in the low half, as the lanes of `Int32`s lie in memory.
    @inline(__always)
    private func factors(at i: Int) -> Vector.Lanes {
        let words = Self.mix(SIMD8(repeating: key &+ UInt64(truncatingIfNeeded: i / 2) &* Self.gamma) &+ Self.laneSteps)
        let pairs = (words &>> 40) &<< 32 | (words &>> 16) & 0xFF_FFFF
        // 24-bit values: signed lanes compare in one instruction (unsigned ones were a scalar loop).
        let bits = unsafeBitCast(pairs, to: Vector.Bits.self)
        return Vector.Lanes(repeating: keep).replacing(with: 0, where: bits .< Vector.Bits(repeating: Int32(threshold)))
    }

    private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    /// `j · γ` for the lanes `j = 0 … 7`.
    private static let laneSteps = SIMD8<UInt64>(0, 1, 2, 3, 4, 5, 6, 7) &* gamma

    /// SplitMix64's output function, lane by lane.
    @inline(__always)
    private static func mix(_ z: SIMD8<UInt64>) -> SIMD8<UInt64> {
        var z = z
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }
}
