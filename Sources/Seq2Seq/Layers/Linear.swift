import Autograd

/// An affine map `y = x Wᵀ + b`, with `W` stored `[out, in]` as in PyTorch.
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?

    /// Initialised as PyTorch's `nn.Linear`: `W, b ~ U(−1/√in, 1/√in)`.
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, generator: inout SeededGenerator) {
        let bound = 1 / Float(inputSize).squareRoot()
        weight = Tensor.uniform([outputSize, inputSize], low: -bound, high: bound, generator: &generator, requiresGrad: true)
        self.bias = bias ? Tensor.uniform([outputSize], low: -bound, high: bound, generator: &generator, requiresGrad: true) : nil
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// - Parameter x: `[…, in]`.
    /// - Returns: `[…, out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.linear(weight, bias: bias)
    }
}

/// A table of learned vectors, one per token id.
public final class Embedding: Module {
    public let weight: Tensor
    public let paddingIndex: Int?

    /// Initialised as PyTorch's `nn.Embedding`: `N(0, 1)`, with the padding row zero.
    public init(count: Int, dimension: Int, paddingIndex: Int?, generator: inout SeededGenerator) {
        weight = Tensor.normal([count, dimension], generator: &generator, requiresGrad: true)
        self.paddingIndex = paddingIndex
        if let paddingIndex { (weight.data + paddingIndex * dimension).update(repeating: 0, count: dimension) }
    }

    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }

    /// - Parameters:
    ///   - ids: token ids, row-major over `shape`.
    /// - Returns: `shape + [E]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Tensor {
        weight.embedding(ids, shape: shape, paddingIndex: paddingIndex)
    }
}
