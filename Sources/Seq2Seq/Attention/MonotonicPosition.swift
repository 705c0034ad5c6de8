import Autograd

/// local-m's aligned position (Luong et al. 2015, §3.2, "monotonic alignment"):
/// `p_t = min(t, S_b − 1)`.
///
/// Luong's `p_t = t` would leave the sentence once the target is longer than the source, and
/// the window would then hold no position; clamping keeps it on the last real position (`</s>`).
public final class MonotonicPosition: AlignedPosition {
    public init() {}

    public var namedParameters: [(name: String, tensor: Tensor)] { [] }

    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> Tensor {
        let lengths = memory.lengths
        return Tensor(shape: [lengths.count, 1], scalars: lengths.map { Float(Swift.min(step, Swift.max($0 - 1, 0))) })
    }
}

extension AttentionKind {
    /// Local attention with monotonic alignment, `p_t = t`, over the window `[p_t − D, p_t + D]`
    /// (Luong et al. 2015, §3.2, "local-m"), with the general score.
    public static let localMonotonic = AttentionKind("local-m", placement: .afterRecurrence { shape, generator in
        LocalAttention(shape, generator: &generator) { _, _ in MonotonicPosition() }
    }, isLocal: true)
}
