import Autograd

/// Something with named trainable parameters.
///
/// Names follow PyTorch's `state_dict` keys (`weight`, `bias`, `weight_ih_l0`, …), and a
/// composite module prefixes its children's names (`encoder.rnn.weight_ih_l0`), so a
/// checkpoint's tensors load into the equivalent PyTorch module as they are.
public protocol Module: AnyObject {
    /// Every parameter, in a fixed order, with its dotted name.
    var namedParameters: [(name: String, tensor: Tensor)] { get }
}

extension Module {
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// The number of trainable scalars.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.count } }

    public func zeroGradients() { for p in parameters { p.zeroGrad() } }
}

/// Prefixes every name of `module`'s parameters with `prefix.`.
public func prefixed(_ prefix: String, _ module: Module) -> [(name: String, tensor: Tensor)] {
    module.namedParameters.map { (prefix + "." + $0.name, $0.tensor) }
}

/// The training context a forward pass needs: whether dropout is on, and its generator.
public struct ForwardContext {
    public var isTraining: Bool
    public var generator: SeededGenerator

    public init(isTraining: Bool, generator: SeededGenerator = SeededGenerator(seed: 0)) {
        self.isTraining = isTraining
        self.generator = generator
    }

    /// Inference: no dropout.
    public static var inference: ForwardContext { ForwardContext(isTraining: false) }

    /// `x` with dropout applied when training.
    public mutating func dropout(_ x: Tensor, _ probability: Float) -> Tensor {
        guard isTraining, probability > 0 else { return x }
        return x.dropout(probability: probability, generator: &generator)
    }
}
