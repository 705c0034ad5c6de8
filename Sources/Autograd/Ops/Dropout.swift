/// Inverted dropout (Srivastava et al. 2014): during training each element is zeroed with
/// probability `p` and the survivors are scaled by `1/(1 − p)`, so inference needs no change.
extension Tensor {
    /// - Parameters:
    ///   - probability: `p`, the chance an element is dropped; 0 returns `self` unchanged.
    ///   - generator: the run's seeded generator, so the same seed drops the same elements. One
    ///     word is drawn per call, the key of its mask (`DropoutMask`).
    public func dropout(probability: Float, generator: inout SeededGenerator) -> Tensor {
        precondition(probability >= 0 && probability < 1, "dropout: probability \(probability) outside [0, 1)")
        guard probability > 0 else { return self }
        let x = self
        let mask = DropoutMask(probability: probability, key: generator.next())
        let out = Tensor(uninitializedShape: shape)
        mask.apply(x.data, into: out.data, count: count, accumulate: false)
        return Tape.record(.dropout, output: out, inputs: [x]) { gradient in
            let (gx, accumulate) = x.gradientBuffer()
            mask.apply(gradient.data, into: gx, count: x.count, accumulate: accumulate)
        }
    }
}
