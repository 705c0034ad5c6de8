/// Single-precision general matrix multiply, row-major:
/// `C = alpha · op(A) · op(B) + beta · C`, with `op(X)` = `X` or `Xᵀ`.
///
/// `op(A)` is `[m, k]`, `op(B)` is `[k, n]`, `C` is `[m, n]`. Leading dimensions are the
/// row strides of the matrices *as stored* (for a transposed `A`, stored `[k, m]`, `lda ≥ m`).
public enum GEMM {
    public static func multiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        naive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
              a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// The reference triple loop the fast kernel is tested against (Float64 accumulation).
    public static func naive(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(x) * Double(y)
                }
                let previous = beta == 0 ? 0 : beta * c[i * ldc + j]
                c[i * ldc + j] = alpha * Float(sum) + previous
            }
        }
    }
}
