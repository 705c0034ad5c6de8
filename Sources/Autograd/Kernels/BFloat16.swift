/// Rounding float32 to bf16 (the upper 16 bits of a float32: 8 exponent bits, 7 mantissa bits)
/// and pairing two bf16 numbers in one 32-bit word, as the bf16 dot-product instructions read
/// them.
///
/// Round to nearest, ties to even: add `0x7FFF` plus the lowest kept bit, then truncate. A NaN
/// stays a (quiet) NaN instead of carrying into infinity.
public enum BFloat16 {
    /// `x` rounded to the nearest bf16 value, returned as the float32 it equals.
    @inline(__always)
    public static func round(_ x: Float) -> Float {
        guard !x.isNaN else { return .nan }
        let bits = x.bitPattern
        return Float(bitPattern: (bits &+ 0x7FFF &+ (bits >> 16 & 1)) & 0xFFFF_0000)
    }

    /// The rounded values of 16 floats, each in the upper half of its word.
    @inline(__always)
    static func roundedHigh(_ x: SIMD16<Float>) -> SIMD16<UInt32> {
        let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self)
        let rounded = (bits &+ 0x7FFF &+ (bits &>> 16 & 1)) & 0xFFFF_0000
        return rounded.replacing(with: 0x7FC0_0000, where: x .!= x)
    }

    /// Words holding `(even[l], odd[l])` as a bf16 pair: `even` in the low half, `odd` in the high.
    @inline(__always)
    static func pairs(even: SIMD16<Float>, odd: SIMD16<Float>) -> SIMD16<UInt32> {
        roundedHigh(even) &>> 16 | roundedHigh(odd)
    }

    /// One pair word from two scalars.
    @inline(__always)
    static func pair(_ even: Float, _ odd: Float) -> UInt32 {
        round(even).bitPattern >> 16 | round(odd).bitPattern
    }
}
