/// Inverted dropout (Srivastava et al. 2014): during training each element is zeroed with
/// probability `p` and the survivors are scaled by `1/(1 − p)`, so inference needs no change.
extension Tensor {
    /// - Parameters:
    ///   - probability: `p`, the chance an element is dropped; 0 returns `self` unchanged.
    ///   - generator: the run's seeded generator, so the same seed drops the same elements.
    public func dropout(probability: Float, generator: inout SeededGenerator) -> Tensor {
        precondition(probability >= 0 && probability < 1, "dropout: probability \(probability) outside [0, 1)")
        guard probability > 0 else { return self }
        let x = self
        let keep = 1 / (1 - probability)
        let scale = Tensor(uninitializedShape: shape)  // 0 or 1/(1 − p) per element
        for i in 0..<count { scale.data[i] = generator.nextUnit() < probability ? 0 : keep }
        let out = Tensor(uninitializedShape: shape)
        let s = Vector.Operand.full(scale.data, count)
        Vector.map(Lane.Product.self, rows: 1, n: count, .full(x.data, count), s, s, into: out.data, accumulate: false)
        return Tape.record(.dropout, output: out, inputs: [x]) { gradient in
            let (gx, accumulate) = x.gradientBuffer()
            Vector.map(Lane.Product.self, rows: 1, n: x.count, .full(gradient.data, x.count), s, s,
                       into: gx, accumulate: accumulate)
            withExtendedLifetime(scale) {}
        }
    }
}
