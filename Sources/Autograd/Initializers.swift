import Foundation

/// Parameter initialisers, each drawing from a `SeededGenerator`, so a seed fixes every weight.
///
/// Shapes follow PyTorch's layouts (a Linear weight is `[out, in]`), and so do fan-in and
/// fan-out (`torch.nn.init._calculate_fan_in_and_fan_out`): for `[d₀, d₁, d₂, …]`,
/// `fanIn = d₁·r`, `fanOut = d₀·r`, `r = d₂·d₃·…` (1 for a matrix).
extension Tensor {
    /// `(fanIn, fanOut)` of a weight of `shape`, as PyTorch computes them.
    /// - Precondition: rank ≥ 2.
    public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "fan-in and fan-out need a shape of rank ≥ 2, got \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// Elements drawn from `U(−a, a)` (`torch.nn.init.uniform_(w, -a, a)`); PyTorch's default
    /// for recurrent and Linear layers uses `a = 1/√H` or `1/√fanIn`.
    public static func uniform(_ shape: [Int], bound a: Float, generator: inout SeededGenerator,
                               requiresGrad: Bool = false) -> Tensor {
        uniform(shape, low: -a, high: a, generator: &generator, requiresGrad: requiresGrad)
    }

    /// Xavier/Glorot uniform (Glorot & Bengio 2010, "Understanding the difficulty of training
    /// deep feedforward neural networks", eq. 16; `torch.nn.init.xavier_uniform_`):
    /// `U(−a, a)` with `a = gain · √(6 / (fanIn + fanOut))`, so `Var = gain² · 2 / (fanIn + fanOut)`.
    /// - Parameter shape: `[out, in, …]`, rank ≥ 2.
    public static func xavierUniform(_ shape: [Int], gain: Float = 1, generator: inout SeededGenerator,
                                     requiresGrad: Bool = false) -> Tensor {
        let (fanIn, fanOut) = fans(of: shape)
        let bound = gain * (6 / Float(fanIn + fanOut)).squareRoot()
        return uniform(shape, bound: bound, generator: &generator, requiresGrad: requiresGrad)
    }

    /// A (semi-)orthogonal matrix times `gain` (Saxe et al. 2014, "Exact solutions to the
    /// nonlinear dynamics of learning in deep linear neural networks"; `torch.nn.init.orthogonal_`).
    ///
    /// The tensor is viewed as `[rows, cols]`, `rows = shape[0]`, `cols` = the product of the
    /// rest. A normal matrix `A` (drawn row-major) is factored `A = QR` in Float64 by Householder
    /// reflections, on `Aᵀ` when `rows < cols`; `Q`'s columns are multiplied by `sign(diag R)`,
    /// which makes the result the unique `Q` with a positive-diagonal `R` — the same matrix
    /// PyTorch's LAPACK-based `orthogonal_` yields from the same `A`. Tall results have
    /// orthonormal columns (`QᵀQ = I`), wide ones orthonormal rows (`QQᵀ = I`).
    ///
    /// With `blocks = k` the rows are split into `k` equal blocks, each made orthogonal on its
    /// own (drawn one after another): for a GRU's `[3H, H]` recurrent weight, `blocks: 3` makes
    /// each gate's `[H, H]` matrix orthogonal, as Saxe et al. intend for recurrent matrices;
    /// the default `blocks: 1` is PyTorch's whole-matrix `orthogonal_`, whose `[H, H]` blocks
    /// are then only orthogonal up to a scale of about `1/√3`.
    /// - Parameter shape: `[rows, …]`, rank ≥ 2; `rows` divisible by `blocks`.
    public static func orthogonal(_ shape: [Int], gain: Float = 1, blocks: Int = 1,
                                  generator: inout SeededGenerator, requiresGrad: Bool = false) -> Tensor {
        precondition(shape.count >= 2, "orthogonal needs a shape of rank ≥ 2, got \(shape)")
        precondition(blocks >= 1 && shape[0] % blocks == 0, "orthogonal: \(shape[0]) rows do not split into \(blocks) blocks")
        let rows = shape[0] / blocks, cols = shape.dropFirst().reduce(1, *)
        let result = Tensor(uninitializedShape: shape)
        for block in 0..<blocks {
            var normal = [Double](repeating: 0, count: rows * cols)
            for i in normal.indices { normal[i] = Double(generator.normal()) }
            let q = orthonormalized(normal, rows: rows, cols: cols)
            let out = result.data + block * rows * cols
            for i in q.indices { out[i] = gain * Float(q[i]) }
        }
        result.requiresGrad = requiresGrad
        return result
    }

    /// The sign-corrected `Q` factor of the row-major `[rows, cols]` matrix `a` (of `aᵀ`,
    /// transposed back, when `rows < cols`), row-major `[rows, cols]`.
    public static func orthonormalized(_ a: [Double], rows: Int, cols: Int) -> [Double] {
        guard rows < cols else { return householderQ(a, rows: rows, cols: cols) }
        var transposed = [Double](repeating: 0, count: a.count)
        for i in 0..<rows { for j in 0..<cols { transposed[j * rows + i] = a[i * cols + j] } }
        let q = householderQ(transposed, rows: cols, cols: rows)
        var result = [Double](repeating: 0, count: a.count)
        for i in 0..<rows { for j in 0..<cols { result[i * cols + j] = q[j * rows + i] } }
        return result
    }

    /// For a tall row-major `[m, n]` matrix `A` (`m ≥ n`): `Q·diag(sign(diag R))`, `[m, n]`,
    /// from Householder QR (Golub & Van Loan, *Matrix Computations*, 4th ed., Alg. 5.2.1).
    private static func householderQ(_ matrix: [Double], rows m: Int, cols n: Int) -> [Double] {
        var a = matrix
        var reflectors: [[Double]] = []  // v_k over rows k..<m; H_k = I − 2vvᵀ/vᵀv
        var diagonal = [Double](repeating: 0, count: n)
        for k in 0..<n {
            var norm = 0.0
            for i in k..<m { norm += a[i * n + k] * a[i * n + k] }
            norm = norm.squareRoot()
            // Reflect onto −sign(a_kk)·‖x‖·e₁, which avoids cancellation in v₀.
            let alpha = a[k * n + k] >= 0 ? -norm : norm
            var v = (k..<m).map { a[$0 * n + k] }
            v[0] -= alpha
            let vv = v.reduce(0) { $0 + $1 * $1 }
            if vv > 0 {
                for j in k..<n {
                    var s = 0.0
                    for i in k..<m { s += v[i - k] * a[i * n + j] }
                    let f = 2 * s / vv
                    for i in k..<m { a[i * n + j] -= f * v[i - k] }
                }
            }
            diagonal[k] = a[k * n + k]  // R's diagonal: α, or 0 for an all-zero column
            reflectors.append(vv > 0 ? v : [])
        }
        // Q = H₀H₁…H_{n−1} applied to the first n columns of the identity, last reflector first.
        var q = [Double](repeating: 0, count: m * n)
        for j in 0..<n { q[j * n + j] = 1 }
        for k in stride(from: n - 1, through: 0, by: -1) where !reflectors[k].isEmpty {
            let v = reflectors[k]
            let vv = v.reduce(0) { $0 + $1 * $1 }
            for j in 0..<n {
                var s = 0.0
                for i in k..<m { s += v[i - k] * q[i * n + j] }
                let f = 2 * s / vv
                for i in k..<m { q[i * n + j] -= f * v[i - k] }
            }
        }
        for j in 0..<n where diagonal[j] < 0 {
            for i in 0..<m { q[i * n + j] = -q[i * n + j] }
        }
        return q
    }
}
