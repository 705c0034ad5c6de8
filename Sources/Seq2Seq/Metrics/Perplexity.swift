import Foundation

/// Perplexity: the exponential of the mean per-token negative log-likelihood (natural log).
///
///     PPL = exp( −(1/N) Σₜ log p(yₜ | y<ₜ, x) )
///
/// Computed teacher-forced (each yₜ conditioned on the reference prefix y<ₜ), so it measures how
/// well the model predicts the references, not the quality of what it decodes.
public enum Perplexity {
    /// exp(totalNegativeLogLikelihood / tokenCount); nil when there are no tokens.
    ///
    /// - Parameters:
    ///   - totalNegativeLogLikelihood: −Σ log p over all target tokens, in nats.
    ///   - tokenCount: N, the number of target tokens (including end-of-sentence, when predicted).
    public static func value(totalNegativeLogLikelihood: Double, tokenCount: Int) -> Double? {
        guard tokenCount > 0 else { return nil }
        return exp(totalNegativeLogLikelihood / Double(tokenCount))
    }
}
