/// The cosine similarity of every key with every memory row, the measure a Neural Turing
/// Machine's content addressing compares keys with (Graves et al. 2014, "Neural Turing
/// Machines", §3.3.1, eq. 6):
///
///     K[k, m] = k · m / (‖k‖ ‖m‖ + ε)
///
/// `ε` (1e-8) keeps an all-zero key or row finite: its similarity is 0. Pullback, with
/// `D = ‖k‖‖m‖ + ε` and `g = ∂K` for the pair:
///
///     ∂k += g · (m / D − (k·m) ‖m‖ k / (‖k‖ D²))
///     ∂m += g · (k / D − (k·m) ‖k‖ m / (‖m‖ D²))
///
/// where a zero `‖k‖` (or `‖m‖`) drops its second term (the limit: `k·m` is 0 too).
extension Tensor {
    /// - Parameters:
    ///   - keys: `[B, h, M]`, one key per head.
    ///   - memory: `[B, N, M]`, `N` rows (slots) of width `M`.
    ///   - epsilon: `ε`.
    /// - Returns: `[B, h, N]`.
    public static func cosineSimilarity(keys: Tensor, memory: Tensor, epsilon: Float = 1e-8) -> Tensor {
        precondition(keys.rank == 3 && memory.rank == 3 && keys.shape[0] == memory.shape[0] && keys.shape[2] == memory.shape[2],
                     "cosineSimilarity: keys \(keys.shape), memory \(memory.shape)")
        let batch = keys.shape[0], heads = keys.shape[1], slots = memory.shape[1], width = keys.shape[2]
        let out = Tensor(uninitializedShape: [batch, heads, slots])
        let keyNorms = Tensor(uninitializedShape: [batch, heads]), rowNorms = Tensor(uninitializedShape: [batch, slots])
        for r in 0..<batch &* heads { keyNorms.data[r] = Vector.sumOfSquares(keys.data + r &* width, width).squareRoot() }
        for r in 0..<batch &* slots { rowNorms.data[r] = Vector.sumOfSquares(memory.data + r &* width, width).squareRoot() }
        for b in 0..<batch {
            for h in 0..<heads {
                let key = keys.data + (b &* heads &+ h) &* width, keyNorm = keyNorms.data[b &* heads &+ h]
                let row = out.data + (b &* heads &+ h) &* slots
                for n in 0..<slots {
                    let dot = Vector.dot(key, memory.data + (b &* slots &+ n) &* width, width)
                    row[n] = dot / (keyNorm * rowNorms.data[b &* slots &+ n] + epsilon)
                }
            }
        }
        return Tape.record(.cosineSimilarity, output: out, inputs: [keys, memory]) { gradient in
            let dk = keys.requiresGrad ? keys.gradientPointer() : nil
            let dm = memory.requiresGrad ? memory.gradientPointer() : nil
            for b in 0..<batch {
                for h in 0..<heads {
                    let k = keys.data + (b &* heads &+ h) &* width, kn = keyNorms.data[b &* heads &+ h]
                    let g = gradient.data + (b &* heads &+ h) &* slots
                    for n in 0..<slots where g[n] != 0 {
                        let m = memory.data + (b &* slots &+ n) &* width, mn = rowNorms.data[b &* slots &+ n]
                        let d = kn * mn + epsilon, dot = Vector.dot(k, m, width)
                        if let dk {
                            // ∂K/∂k = m / D − (k·m)‖m‖ k / (‖k‖ D²)
                            let target = dk + (b &* heads &+ h) &* width
                            let along = kn > 0 ? g[n] * dot * mn / (kn * d * d) : 0
                            for j in 0..<width { target[j] += g[n] * m[j] / d - along * k[j] }
                        }
                        if let dm {
                            let target = dm + (b &* slots &+ n) &* width
                            let along = mn > 0 ? g[n] * dot * kn / (mn * d * d) : 0
                            for j in 0..<width { target[j] += g[n] * k[j] / d - along * m[j] }
                        }
                    }
                }
            }
        }
    }
}
