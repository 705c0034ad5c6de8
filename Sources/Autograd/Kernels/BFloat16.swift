/// Rounding float32 to bf16 (the upper 16 bits of a float32: 8 exponent bits, 7 mantissa bits)
/// exactly as `vcvtne2ps2bf16` does, which packs the bf16 kernels' operands: round to nearest,
/// ties to even (add `0x7FFF` plus the lowest kept bit, then truncate); a NaN stays a quiet NaN;
/// denormals become zero of the same sign.
public enum BFloat16 {
    /// `x` rounded to the nearest bf16 value, returned as the float32 it equals.
    @inline(__always)
    public static func round(_ x: Float) -> Float {
        let bits = x.bitPattern
        if bits & 0x7F80_0000 == 0 { return Float(bitPattern: bits & 0x8000_0000) }
        if x.isNaN { return Float(bitPattern: (bits | 0x0040_0000) & 0xFFFF_0000) }
        return Float(bitPattern: (bits &+ 0x7FFF &+ (bits >> 16 & 1)) & 0xFFFF_0000)
    }

    /// `round` of 16 floats at once, with integer arithmetic only (no lane masks): a NaN gets
    /// its quiet bit and no rounding increment (which could carry it into the sign), a zero
    /// exponent keeps only the sign.
    @inline(__always)
    static func round(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias W = SIMD16<UInt32>
        var bits = unsafeBitCast(x, to: W.self)
        let magnitude = bits & 0x7FFF_FFFF
        let isNaN = (W(repeating: 0x7F80_0000) &- magnitude) &>> 31  // 1 where magnitude > infinity
        bits |= isNaN &<< 22
        let increment = (0x7FFF &+ (bits &>> 16 & 1)) & (isNaN &- 1)
        let isNormal = ((bits & 0x7F80_0000) &+ 0x7FFF_FFFF) &>> 31  // 1 where the exponent is not 0
        let keep = (0 &- isNormal) | 0x8000_0000
        return unsafeBitCast((bits &+ increment) & 0xFFFF_0000 & keep, to: SIMD16<Float>.self)
    }
}
