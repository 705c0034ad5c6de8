import Autograd

/// Layer normalisation over the last axis with a learned gain and bias (`nn.LayerNorm`).
public final class LayerNorm: Module {
    /// γ, `[D]`, initialised to 1.
    public let weight: Tensor
    /// β, `[D]`, initialised to 0.
    public let bias: Tensor

    public init(width: Int) {
        weight = Tensor.ones([width], requiresGrad: true)
        bias = Tensor.zeros([width], requiresGrad: true)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }

    /// - Parameter x: `[…, D]`. - Returns: `[…, D]`.
    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(gain: weight, bias: bias) }

    /// `LayerNorm(x + residual)`, the sum never stored. - Returns: `[…, D]`.
    public func callAsFunction(_ x: Tensor, adding residual: Tensor) -> Tensor {
        x.layerNorm(adding: residual, gain: weight, bias: bias)
    }
}
