import Autograd

/// How an RNN decoder reads the source at each step: one case per `AttentionKind.Placement`,
/// each holding exactly the parts it uses.
enum SourceReading {
    /// `s_t = RNN([E y_{t−1}; c], s_{t−1})` with `c` the encoder summary; output `s_t`.
    case summary
    /// `c_t = attend(s_{t−1})`, `s_t = RNN([E y_{t−1}; c_t], s_{t−1})`; output `s_t`.
    case contextInput(any AttentionMechanism)
    /// `s_t = RNN([E y_{t−1}; h̃_{t−1}], s_{t−1})` (input feeding), `c_t = attend(s_t)`, output
    /// `h̃_t = tanh(W_c [c_t; s_t])`.
    case attentionalOutput(any AttentionMechanism, attentional: Linear)

    /// Builds the attention of `c.attention` and, for Luong's placement, `W_c` (`[H, M + H]`, no bias).
    init(_ c: RNNConfiguration, generator: inout SeededGenerator) {
        switch c.attention.placement {
        case .none:
            self = .summary
        case .beforeRecurrence(let build):
            self = .contextInput(build(c.attentionShape, &generator))
        case .afterRecurrence(let build):
            let attention = build(c.attentionShape, &generator)
            self = .attentionalOutput(attention, attentional: Linear(inputSize: c.memoryWidth + c.hiddenWidth, outputSize: c.hiddenWidth,
                                                                     bias: false, generator: &generator))
        }
    }

    /// What joins the target embedding at the decoder's input: `c` or `c_t` (`M`), `h̃_{t−1}`
    /// with input feeding (`H`), or nothing.
    static func fedWidth(_ c: RNNConfiguration) -> Int {
        c.attention.isLuong ? (c.inputFeeding ? c.hiddenWidth : 0) : c.memoryWidth
    }

    /// `decoder.attention.*` and `decoder.attentional.*`.
    var namedParameters: [(name: String, tensor: Tensor)] {
        switch self {
        case .summary: []
        case .contextInput(let attention): prefixed("decoder.attention", attention)
        case .attentionalOutput(let attention, let attentional):
            prefixed("decoder.attention", attention) + prefixed("decoder.attentional", attentional)
        }
    }

    /// `decoder.attention.*` buffers (hard attention's baseline).
    var namedBuffers: [(name: String, tensor: Tensor)] {
        switch self {
        case .summary: []
        case .contextInput(let attention), .attentionalOutput(let attention, _): prefixedBuffers("decoder.attention", attention)
        }
    }

    /// Projects the encoder outputs for the attention (for `summary`, keeps them as they are).
    /// - Parameters: - outputs: `[B, S, M]`. - mask: `[B, S]`.
    func prepare(outputs: Tensor, mask: Tensor) -> AttentionMemory {
        switch self {
        case .summary: AttentionMemory(values: outputs, keys: outputs, mask: mask, roundingValuesOnce: false)
        case .contextInput(let attention), .attentionalOutput(let attention, _): attention.prepare(outputs: outputs, mask: mask)
        }
    }
}
