/// Which attention an RNN decoder uses.
public enum AttentionKind: String, Codable, CaseIterable, Sendable {
    /// No attention: the decoder sees only the encoder's summary (Sutskever et al. 2014; Cho et al. 2014).
    case none
    /// Additive, `e_tj = vᵀ tanh(W s_{t−1} + U h_j)`, context fed into the RNN (Bahdanau et al. 2015).
    case bahdanau
    /// `score = h_tᵀ h̄_s` (Luong et al. 2015, §3.1, "dot").
    case luongDot = "luong-dot"
    /// `score = h_tᵀ W_a h̄_s` ("general").
    case luongGeneral = "luong-general"
    /// `score = v_aᵀ tanh(W_a [h_t; h̄_s])` ("concat").
    case luongConcat = "luong-concat"

    /// Whether scores come from the current decoder state `h_t` (Luong) rather than `s_{t−1}`.
    public var isLuong: Bool { self == .luongDot || self == .luongGeneral || self == .luongConcat }
}
