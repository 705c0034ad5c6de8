import Autograd

/// An attention mechanism (JoeyNMT's `AttentionMechanism`): scores a decoder query against
/// every source position and averages the encoder outputs,
/// `α = softmax(score(q, ·))` over unmasked positions, `c = Σ_s α_s h̄_s`.
///
/// Each variant is a type of its own (`BahdanauAttention`, `LuongGeneralAttention`,
/// `LocalAttention`, …) with exactly the parameters it uses, and one line in
/// `AttentionKind.allCases`. It returns the context and the weights, so training, decoding and
/// `align` all see the same alignment.
public protocol AttentionMechanism: Module {
    /// Projects the encoder outputs once per batch.
    /// - Parameters:
    ///   - outputs: `h̄`, `[B, S, M]`.
    ///   - mask: `[B, S]`, 1 for a real position.
    func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory

    /// - Parameters:
    ///   - query: `[B, H]`: `s_{t−1}` for Bahdanau, `h_t` for Luong (`AttentionKind.Placement`).
    ///   - step: the decoder step `t`, counting from 0, the same for every row.
    /// - Returns: the context `[B, M]` and the weights `[B, S]` (rows sum to 1, zero on padding).
    func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int) -> (context: Tensor, weights: Tensor)

    /// One decoder step's attention with what the decoder keeps for it and the pass's context;
    /// what an RNN decoder calls. By default the same as `callAsFunction(query:memory:step:)`.
    /// - Parameters:
    ///   - coverage: `c_t = Σ_{t' < t} α_{t'}`, `[B, S]`, when the decoder keeps coverage (a
    ///     variant whose `AttentionKind.takesCoverage`, built with `AttentionShape.coverage`).
    ///   - context: training (hard attention samples a location and adds its REINFORCE term),
    ///     decoding (it takes the most probable location) or scoring (the expected context).
    func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int, coverage: Tensor?,
                        context: inout ForwardContext) -> (context: Tensor, weights: Tensor)
}

extension AttentionMechanism {
    public func callAsFunction(query: Tensor, memory: AttentionMemory, step: Int, coverage: Tensor?,
                               context: inout ForwardContext) -> (context: Tensor, weights: Tensor) {
        self(query: query, memory: memory, step: step)
    }
}

/// The widths and settings an attention mechanism is built for.
public struct AttentionShape: Sendable {
    /// The decoder state width `H`.
    public var queryWidth: Int
    /// The encoder output width `M`.
    public var memoryWidth: Int
    /// `D`, local attention's half-window (Luong used 10); global kinds ignore it.
    public var window: Int
    /// Whether the scores read the coverage vector (`--coverage`; the additive scores only).
    public var coverage: Bool
    /// Hard attention's training settings; other kinds ignore them.
    public var hard: HardAttentionSettings

    public init(queryWidth: Int, memoryWidth: Int, window: Int, coverage: Bool = false, hard: HardAttentionSettings = HardAttentionSettings()) {
        self.queryWidth = queryWidth
        self.memoryWidth = memoryWidth
        self.window = window
        self.coverage = coverage
        self.hard = hard
    }
}

/// `v ~ U(−1/√n, 1/√n)`, `[n]`: the energy vectors of the additive scores.
func energyVector(_ width: Int, generator: inout SeededGenerator) -> Tensor {
    let bound = 1 / Float(width).squareRoot()
    return Tensor.uniform([width], low: -bound, high: bound, generator: &generator, requiresGrad: true)
}
