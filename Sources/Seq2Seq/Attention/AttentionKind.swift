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
    /// Local attention with monotonic alignment, `p_t = t`, over the window `[p_t − D, p_t + D]`
    /// (Luong et al. 2015, §3.2, "local-m"), with the general score.
    case localMonotonic = "local-m"
    /// Local attention with predictive alignment, `p_t = S · sigmoid(v_pᵀ tanh(W_p h_t))`
    /// (§3.2, eq. 9, "local-p"), with the general score, as Luong's best system used.
    case localPredictive = "local-p"

    /// Whether scores come from the current decoder state `h_t` (Luong) rather than `s_{t−1}`.
    public var isLuong: Bool {
        switch self {
        case .luongDot, .luongGeneral, .luongConcat, .localMonotonic, .localPredictive: true
        case .none, .bahdanau: false
        }
    }

    /// Whether attention looks only at a window of `2D + 1` source positions around `p_t` (§3.2).
    public var isLocal: Bool { self == .localMonotonic || self == .localPredictive }
}
