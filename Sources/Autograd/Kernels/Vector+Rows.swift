/// Kernels over one row of a row-wise op (softmax, log-softmax, cross-entropy, layer norm),
/// 16 lanes at a time; a partial last block runs zero-padded and is masked out of every sum.
/// Sums keep 16-lane partial results (and two of them where the loop allows), added across
/// lanes once at the end: faster and more accurate than one running scalar.
extension Vector {
    /// `y[i] = e^{x[i] − shift}`, returning `Σᵢ y[i]`. `x` and `y` may be the same buffer.
    static func exponentials(_ x: UnsafePointer<Float>, minus shift: Float, _ y: UnsafeMutablePointer<Float>,
                             _ count: Int) -> Float {
        var s0 = Lanes(), s1 = Lanes()
        var i = 0
        while i &+ 32 <= count {
            let e0 = exp(load(x + i) - shift), e1 = exp(load(x + (i &+ 16)) - shift)
            store(e0, y + i)
            store(e1, y + (i &+ 16))
            s0 += e0
            s1 += e1
            i &+= 32
        }
        while i < count {
            let width = Swift.min(16, count &- i)
            if width == 16 {
                let e = exp(load(x + i) - shift)
                store(e, y + i)
                s0 += e
            } else {
                let e = exp(loadPartial(x + i, width, padding: 0) - shift)
                storePartial(e, y + i, width)
                s1 += e.replacing(with: 0, where: laneIndices .>= Bits(repeating: Int32(width)))
            }
            i &+= 16
        }
        return laneSum(s0 + s1)
    }

    /// `y[i] = x[i] − shift`.
    static func subtract(_ shift: Float, from x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            store(load(x + i) - shift, y + i)
            i &+= 16
        }
        if i < count { storePartial(loadPartial(x + i, count &- i, padding: 0) - shift, y + i, count &- i) }
    }

    /// `y[i] = α·x[i]` for one row: `scale` without the `Parallel` split.
    static func scaleRow(_ x: UnsafePointer<Float>, by alpha: Float, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            store(load(x + i) * alpha, y + i)
            i &+= 16
        }
        if i < count { storePartial(loadPartial(x + i, count &- i, padding: 0) * alpha, y + i, count &- i) }
    }

    /// `maxᵢ x[i]` ignoring NaN (as `Swift.max` folds do), `−inf` for `count == 0`.
    static func maximum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var m0 = Lanes(repeating: -.infinity), m1 = m0
        var i = 0
        while i &+ 32 <= count {
            let v0 = load(x + i), v1 = load(x + (i &+ 16))
            m0 = m0.replacing(with: v0, where: v0 .> m0)
            m1 = m1.replacing(with: v1, where: v1 .> m1)
            i &+= 32
        }
        while i < count {
            let v = i &+ 16 <= count ? load(x + i) : loadPartial(x + i, count &- i, padding: -.infinity)
            m0 = m0.replacing(with: v, where: v .> m0)
            i &+= 16
        }
        return laneMax(m0.replacing(with: m1, where: m1 .> m0))
    }
}

extension Vector {
    /// `y[i] (+)= a·x[i] + c` (fused) for one row; `+=` when `accumulate`. `x` and `y` may be
    /// the same buffer.
    static func affineRow(_ x: UnsafePointer<Float>, scale a: Float, shift c: Float, into y: UnsafeMutablePointer<Float>,
                          accumulate: Bool, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            let v = fma(load(x + i), Lanes(repeating: a), c)
            store(accumulate ? load(y + i) + v : v, y + i)
            i &+= 16
        }
        if i < count {
            let width = count &- i
            let v = fma(loadPartial(x + i, width, padding: 0), Lanes(repeating: a), c)
            storePartial(accumulate ? loadPartial(y + i, width, padding: 0) + v : v, y + i, width)
        }
    }
}
