/// Element-wise arithmetic and reductions over raw buffers, 16 lanes at a time.
///
/// Outputs may be the same buffer as an input (each block is read before it is written);
/// partially overlapping buffers are not supported. Reductions keep four 16-lane partial
/// results, which is both faster and more accurate than one running scalar.
extension Vector {
    /// `y[i] = a[i] + b[i]`.
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                           _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            store(load(a + i) + load(b + i), y + i)
            i &+= 16
        }
        if i < count {
            let w = count &- i
            storePartial(loadPartial(a + i, w, padding: 0) + loadPartial(b + i, w, padding: 0), y + i, w)
        }
    }

    /// `y[i] = a[i] · b[i]`.
    public static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            store(load(a + i) * load(b + i), y + i)
            i &+= 16
        }
        if i < count {
            let w = count &- i
            storePartial(loadPartial(a + i, w, padding: 0) * loadPartial(b + i, w, padding: 0), y + i, w)
        }
    }

    /// `y[i] += a[i] · b[i]`, fused multiply-add (one rounding).
    public static func multiplyAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                   _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            store(load(y + i).addingProduct(load(a + i), load(b + i)), y + i)
            i &+= 16
        }
        if i < count {
            let w = count &- i
            storePartial(loadPartial(y + i, w, padding: 0).addingProduct(loadPartial(a + i, w, padding: 0),
                                                                         loadPartial(b + i, w, padding: 0)), y + i, w)
        }
    }

    /// `y[i] += α · x[i]` (BLAS `saxpy`), fused multiply-add.
    public static func add(_ x: UnsafePointer<Float>, scaledBy alpha: Float,
                           to y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            store(load(y + i).addingProduct(load(x + i), alpha), y + i)
            i &+= 16
        }
        if i < count {
            let w = count &- i
            storePartial(loadPartial(y + i, w, padding: 0).addingProduct(loadPartial(x + i, w, padding: 0), alpha), y + i, w)
        }
    }

    /// `y[i] = α · x[i]`.
    public static func scale(_ x: UnsafePointer<Float>, by alpha: Float,
                             _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            store(load(x + i) * alpha, y + i)
            i &+= 16
        }
        if i < count {
            let w = count &- i
            storePartial(loadPartial(x + i, w, padding: 0) * alpha, y + i, w)
        }
    }

    /// `Σᵢ x[i]`; 0 for `count == 0`.
    public static func sum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes()
        var i = 0
        while i &+ 64 <= count {
            s0 += load(x + i)
            s1 += load(x + (i &+ 16))
            s2 += load(x + (i &+ 32))
            s3 += load(x + (i &+ 48))
            i &+= 64
        }
        while i &+ 16 <= count {
            s0 += load(x + i)
            i &+= 16
        }
        if i < count { s1 += loadPartial(x + i, count &- i, padding: 0) }
        return laneSum((s0 + s1) + (s2 + s3))
    }

    /// `Σᵢ a[i] · b[i]`; 0 for `count == 0`.
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes()
        var i = 0
        while i &+ 64 <= count {
            s0 = s0.addingProduct(load(a + i), load(b + i))
            s1 = s1.addingProduct(load(a + (i &+ 16)), load(b + (i &+ 16)))
            s2 = s2.addingProduct(load(a + (i &+ 32)), load(b + (i &+ 32)))
            s3 = s3.addingProduct(load(a + (i &+ 48)), load(b + (i &+ 48)))
            i &+= 64
        }
        while i &+ 16 <= count {
            s0 = s0.addingProduct(load(a + i), load(b + i))
            i &+= 16
        }
        if i < count {
            s1 = s1.addingProduct(loadPartial(a + i, count &- i, padding: 0),
                                  loadPartial(b + i, count &- i, padding: 0))
        }
        return laneSum((s0 + s1) + (s2 + s3))
    }

    /// `Σᵢ x[i]²`, the squared Euclidean norm; 0 for `count == 0`.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        dot(x, x, count)
    }

    /// `maxᵢ x[i]`: NaN if any element is NaN, `−inf` for `count == 0`.
    public static func max(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var m0 = Lanes(repeating: -.infinity), m1 = m0
        var sawNaN = SIMDMask<SIMD16<Int32>>()
        var i = 0
        while i &+ 32 <= count {
            let v0 = load(x + i), v1 = load(x + (i &+ 16))
            m0 = m0.replacing(with: v0, where: v0 .> m0)
            m1 = m1.replacing(with: v1, where: v1 .> m1)
            sawNaN .|= (v0 .!= v0) .| (v1 .!= v1)
            i &+= 32
        }
        while i < count {
            let v = i &+ 16 <= count ? load(x + i) : loadPartial(x + i, count &- i, padding: -.infinity)
            m0 = m0.replacing(with: v, where: v .> m0)
            sawNaN .|= v .!= v
            i &+= 16
        }
        if any(sawNaN) { return .nan }
        return laneMax(m0.replacing(with: m1, where: m1 .> m0))
    }
}

extension Vector {
    /// `y[i] = x[i]`, split over the `Parallel` pool when large.
    public static func copy(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        Parallel.forEachRange(count, grain: Parallel.elementGrain) { range in
            (y + range.lowerBound).update(from: x + range.lowerBound, count: range.count)
        }
    }
}
