/// Rescales the gradients of `parameters` so that their global L2 norm is at most `maxNorm`,
/// as `torch.nn.utils.clip_grad_norm_` does (Pascanu et al. 2013, "On the difficulty of
/// training recurrent neural networks", §3.2):
///
///     n = √(Σ_params Σ_i g_i²)
///     c = maxNorm / (n + 1e-6)
///     g = g·c   when c < 1 (i.e. n + 1e-6 > maxNorm); otherwise untouched
///
/// Parameters whose `grad` is `nil` are skipped. A non-finite norm is returned as is and, as
/// in PyTorch (`error_if_nonfinite=False`), the gradients are scaled by the resulting `c`
/// (0 for `inf`, NaN for NaN): a caller that wants to skip such a step checks `isFinite`.
/// - Parameters:
///   - parameters: the tensors whose `grad` to rescale, any shapes.
///   - maxNorm: the largest global norm to allow, > 0.
/// - Returns: `n`, the global norm *before* clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    precondition(maxNorm > 0, "clipGradientNorm needs maxNorm > 0, got \(maxNorm)")
    var squares = 0.0  // Float64 across tensors, so many small tensors lose nothing
    for parameter in parameters {
        guard let grad = parameter.grad else { continue }
        squares += Double(Vector.sumOfSquares(grad.data, grad.count))
    }
    let norm = Float(squares.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if !(coefficient >= 1) {
        for parameter in parameters {
            guard let grad = parameter.grad else { continue }
            Vector.scale(grad.data, by: coefficient, grad.data, grad.count)
        }
    }
    return norm
}
