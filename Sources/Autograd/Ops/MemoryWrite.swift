/// A Neural Turing Machine's write, an erase then an add (Graves et al. 2014, "Neural Turing
/// Machines", §3.2, eqs. 3–4): each slot `i` loses the share `w_i e` of its content and gains
/// `w_i a`,
///
///     M' = M ∘ (1 − w eᵀ) + w aᵀ         M'_ij = M_ij (1 − w_i e_j) + w_i a_j
///
/// with the write weighting `w` over the `N` slots, the erase vector `e ∈ (0, 1)^M` and the add
/// vector `a`. One op rather than four: the `[B, N, M]` intermediates `w eᵀ`, `1 − w eᵀ` and
/// `w aᵀ` are never built. Pullback, with `G = ∂M'`:
///
///     ∂M_ij += G_ij (1 − w_i e_j)        ∂w_i += Σ_j G_ij (a_j − M_ij e_j)
///     ∂e_j  −= Σ_i G_ij M_ij w_i         ∂a_j += Σ_i G_ij w_i
extension Tensor {
    /// - Parameters:
    ///   - memory: `M`, `[B, N, M]`.
    ///   - weighting: `w`, `[B, N]`.
    ///   - erase: `e`, `[B, M]`.
    ///   - add: `a`, `[B, M]`.
    /// - Returns: `M'`, `[B, N, M]`.
    public static func memoryWrite(memory: Tensor, weighting: Tensor, erase: Tensor, add: Tensor) -> Tensor {
        precondition(memory.rank == 3, "memoryWrite: memory \(memory.shape) must be [B, N, M]")
        let batch = memory.shape[0], slots = memory.shape[1], width = memory.shape[2]
        precondition(weighting.shape == [batch, slots] && erase.shape == [batch, width] && add.shape == [batch, width],
                     "memoryWrite: memory \(memory.shape), weighting \(weighting.shape), erase \(erase.shape), add \(add.shape)")
        let out = Tensor(uninitializedShape: memory.shape)
        for b in 0..<batch {
            let e = erase.data + b &* width, a = add.data + b &* width
            for i in 0..<slots {
                let w = weighting.data[b &* slots &+ i], offset = (b &* slots &+ i) &* width
                let m = memory.data + offset, target = out.data + offset
                for j in 0..<width { target[j] = m[j] * (1 - w * e[j]) + w * a[j] }
            }
        }
        return Tape.record(.memoryWrite, output: out, inputs: [memory, weighting, erase, add]) { gradient in
            let dm = memory.requiresGrad ? memory.gradientPointer() : nil
            let dw = weighting.requiresGrad ? weighting.gradientPointer() : nil
            let de = erase.requiresGrad ? erase.gradientPointer() : nil
            let da = add.requiresGrad ? add.gradientPointer() : nil
            for b in 0..<batch {
                let e = erase.data + b &* width, a = add.data + b &* width
                for i in 0..<slots {
                    let w = weighting.data[b &* slots &+ i], offset = (b &* slots &+ i) &* width
                    let m = memory.data + offset, g = gradient.data + offset
                    if let dm {
                        let target = dm + offset
                        for j in 0..<width { target[j] += g[j] * (1 - w * e[j]) }
                    }
                    if let dw {
                        var total: Float = 0
                        for j in 0..<width { total += g[j] * (a[j] - m[j] * e[j]) }
                        dw[b &* slots &+ i] += total
                    }
                    if let de {
                        let target = de + b &* width
                        for j in 0..<width { target[j] -= g[j] * m[j] * w }
                    }
                    if let da {
                        let target = da + b &* width
                        for j in 0..<width { target[j] += g[j] * w }
                    }
                }
            }
        }
    }
}
