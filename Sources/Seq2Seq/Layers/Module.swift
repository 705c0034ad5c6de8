import Autograd

/// Something with named trainable parameters (and, for a few, buffers).
///
/// Names follow PyTorch's `state_dict` keys (`weight`, `bias`, `weight_ih_l0`, …), and a
/// composite module prefixes its children's names (`encoder.rnn.weight_ih_l0`), so a
/// checkpoint's tensors load into the equivalent PyTorch module as they are.
public protocol Module: AnyObject {
    /// Every parameter, in a fixed order, with its dotted name.
    var namedParameters: [(name: String, tensor: Tensor)] { get }
    /// State that belongs to the model but is not trained by the optimizer, as PyTorch's
    /// buffers (`register_buffer`): a moving average a training step updates. Checkpoints store
    /// buffers with the parameters (`namedState`); optimizers, gradient clipping and the
    /// parameter count leave them out. None by default.
    var namedBuffers: [(name: String, tensor: Tensor)] { get }
}

extension Module {
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// The number of trainable scalars.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.count } }

    public func zeroGradients() { for p in parameters { p.zeroGrad() } }

    /// None, unless the module says otherwise.
    public var namedBuffers: [(name: String, tensor: Tensor)] { [] }

    /// Everything a checkpoint stores of the module: its parameters, then its buffers.
    public var namedState: [(name: String, tensor: Tensor)] { namedParameters + namedBuffers }
}

/// Prefixes every name of `module`'s parameters with `prefix.`.
public func prefixed(_ prefix: String, _ module: Module) -> [(name: String, tensor: Tensor)] {
    module.namedParameters.map { (prefix + "." + $0.name, $0.tensor) }
}

/// Prefixes every name of `module`'s buffers with `prefix.`.
public func prefixedBuffers(_ prefix: String, _ module: Module) -> [(name: String, tensor: Tensor)] {
    module.namedBuffers.map { (prefix + "." + $0.name, $0.tensor) }
}

/// What a forward pass needs to know beyond its inputs: whether it trains (dropout, sampling,
/// extra loss terms) or decodes, its generator, and what training asks the model to supervise.
public struct ForwardContext {
    public var isTraining: Bool
    public var generator: SeededGenerator
    /// Whether the pass emits or aligns a sequence step by step (greedy and beam search,
    /// `align`): a stochastic choice — hard attention's location — then takes its most probable
    /// outcome. Outside training and decoding (scoring a reference: validation loss,
    /// perplexity) it takes its expectation.
    public var isDecoding = false
    /// Guided alignment: the attention a loss supervises and its weight; set by training, read
    /// by the model, which hands that attention over with `superviseAttention`.
    public var guidance: AlignmentGuidance?
    /// The terms this pass adds to the loss beside the token cross-entropy, each with the object
    /// that added it (`lossTerm(of:owner:)` finds it again at the next step).
    public internal(set) var lossTerms: [(owner: ObjectIdentifier, term: any LossTerm)] = []

    public init(isTraining: Bool, generator: SeededGenerator = SeededGenerator(seed: 0)) {
        self.isTraining = isTraining
        self.generator = generator
    }

    /// Inference: no dropout; a stochastic choice takes its expectation.
    public static var inference: ForwardContext { ForwardContext(isTraining: false) }

    /// Decoding: no dropout; a stochastic choice takes its most probable outcome.
    public static var decoding: ForwardContext {
        var context = ForwardContext(isTraining: false)
        context.isDecoding = true
        return context
    }

    /// `x` with dropout applied when training.
    public mutating func dropout(_ x: Tensor, _ probability: Float) -> Tensor {
        guard isTraining, probability > 0 else { return x }
        return x.dropout(probability: probability, generator: &generator)
    }
}
