/// The element-wise math of one recurrent step for one row of a batch, shared by the single-step
/// ops (`gruCell`, `lstmCell`) and the fused layer (`recurrentLayer`), so each formula is written
/// once. `W` is the state width; gate blocks are `W` wide, in PyTorch's order.
enum CellMath {
    // MARK: GRU (gates r | z | n), see GRUCell.swift for the formulas

    /// `h' = (1 − z) n + z h`; `saved` (`3W`) receives r | z | n.
    @inline(__always)
    static func gruForward(gi: UnsafePointer<Float>, gh: UnsafePointer<Float>, h: UnsafePointer<Float>,
                           saved s: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, width: Int) {
        for j in 0..<(2 &* width) { s[j] = gi[j] + gh[j] }
        Vector.sigmoid(s, s, 2 &* width)
        for j in 0..<width { s[2 &* width &+ j] = gi[2 &* width &+ j] + s[j] * gh[2 &* width &+ j] }
        Vector.tanh(s + 2 &* width, s + 2 &* width, width)
        for j in 0..<width {
            let z = s[width &+ j]
            out[j] = (1 - z) * s[2 &* width &+ j] + z * h[j]
        }
    }

    /// Adds `∂gi`, `∂gh` (`3W` each, any may be `nil`) and `∂h` for the output gradient `g` into
    /// the buffers that `accumulate`, and stores them into the fresh ones; 16 lanes at a time
    /// (each lane computes what the scalar formula would, in the same order).
    @inline(__always)
    static func gruBackward(g: UnsafePointer<Float>, saved s: UnsafePointer<Float>, gh: UnsafePointer<Float>,
                            h: UnsafePointer<Float>, dgi: GradientRow?, dgh: GradientRow?, dh: GradientRow?, width: Int) {
        @inline(__always) func load(_ p: UnsafePointer<Float>, _ n: Int) -> Vector.Lanes { Vector.loadBlock(p, n, padding: 0) }
        @inline(__always) func put(_ v: Vector.Lanes, _ target: GradientRow, _ offset: Int, _ n: Int) {
            let p = target.pointer + offset
            Vector.storeBlock(target.accumulate ? Vector.loadBlock(p, n, padding: 0) + v : v, p, n)
        }
        var j = 0
        while j < width {
            let n = Swift.min(16, width &- j)
            let r = load(s + j, n), z = load(s + (width &+ j), n), new = load(s + (2 &* width &+ j), n)
            let gj = load(g + j, n)
            let an = gj * (1 - z) * (1 - new * new)
            let ar = an * load(gh + (2 &* width &+ j), n) * r * (1 - r)
            let az = gj * (load(h + j, n) - new) * z * (1 - z)
            if let dgi { put(ar, dgi, j, n); put(az, dgi, width &+ j, n); put(an, dgi, 2 &* width &+ j, n) }
            if let dgh { put(ar, dgh, j, n); put(az, dgh, width &+ j, n); put(an * r, dgh, 2 &* width &+ j, n) }
            if let dh { put(gj * z, dh, j, n) }
            j &+= 16
        }
    }

    /// A row of a gradient buffer and whether it holds a gradient to add to (else it is written).
    typealias GradientRow = (pointer: UnsafeMutablePointer<Float>, accumulate: Bool)

    // MARK: LSTM (gates i | f | g | o), see LSTMCell.swift for the formulas

    /// `c' = f c + i g`, `h' = o tanh(c')`; `saved` (`5W`) receives i | f | g | o | tanh c'.
    @inline(__always)
    static func lstmForward(gates a: UnsafePointer<Float>, c: UnsafePointer<Float>, saved s: UnsafeMutablePointer<Float>,
                            h hOut: UnsafeMutablePointer<Float>, cell cOut: UnsafeMutablePointer<Float>, width: Int) {
        s.update(from: a, count: 4 &* width)
        Vector.sigmoid(s, s, 2 &* width)
        Vector.tanh(s + 2 &* width, s + 2 &* width, width)
        Vector.sigmoid(s + 3 &* width, s + 3 &* width, width)
        for j in 0..<width { cOut[j] = s[width &+ j] * c[j] + s[j] * s[2 &* width &+ j] }
        Vector.tanh(cOut, s + 4 &* width, width)
        for j in 0..<width { hOut[j] = s[3 &* width &+ j] * s[4 &* width &+ j] }
    }

    /// Adds `∂a` (`4W`) and `∂c` for the gradients `gh` of `h'` and `gc` of `c'`.
    @inline(__always)
    static func lstmBackward(gh: UnsafePointer<Float>, gc: UnsafePointer<Float>, saved s: UnsafePointer<Float>,
                             c: UnsafePointer<Float>, da: UnsafeMutablePointer<Float>?, dc: UnsafeMutablePointer<Float>?,
                             width: Int) {
        for j in 0..<width {
            let i = s[j], f = s[width &+ j], g = s[2 &* width &+ j], o = s[3 &* width &+ j], tc = s[4 &* width &+ j]
            let total = gc[j] + gh[j] * o * (1 - tc * tc)
            if let da {
                da[j] += total * g * i * (1 - i)
                da[width &+ j] += total * c[j] * f * (1 - f)
                da[2 &* width &+ j] += total * i * (1 - g * g)
                da[3 &* width &+ j] += gh[j] * tc * o * (1 - o)
            }
            if let dc { dc[j] += total * f }
        }
    }
}
