/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// step for step as `torch.optim.SGD` (dampening 0):
///
///     d = g + λ·p                         (weight decay λ, added to the gradient)
///     b = μ·b + d                         (momentum μ > 0; b starts at 0, so b₁ = d)
///     d = d + μ·b   if Nesterov, else d = b
///     p = p − η·d                         (learning rate η)
///
/// Nesterov momentum in this form is Sutskever et al. 2013, "On the importance of
/// initialization and momentum in deep learning", eq. 3–4, as PyTorch rewrites it.
/// State: `momentum_buffer.i` for each parameter `i` when `μ > 0`, and the counter `step`.
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    /// μ; 0 turns momentum off.
    public let momentum: Float
    public let nesterov: Bool
    /// λ, the L2 penalty's coefficient: the loss gains `λ/2·‖p‖²`.
    public var weightDecay: Float
    public private(set) var stepCount = 0
    /// b for each parameter; empty when `momentum == 0`.
    private let momentumBuffers: [Tensor]

    /// - Precondition: `momentum ≥ 0`; Nesterov needs `momentum > 0`; no tensor listed twice.
    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, nesterov: Bool = false,
                weightDecay: Float = 0) {
        precondition(momentum >= 0, "SGD momentum must be ≥ 0, got \(momentum)")
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        precondition(areDistinct(parameters), "SGD: a parameter tensor is listed twice")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        momentumBuffers = momentum == 0 ? [] : parameters.map { Tensor.zeros($0.shape) }
    }

    public func step() {
        stepCount += 1
        for (index, parameter) in parameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            let rate = learningRate, decay = weightDecay
            if momentum == 0 {
                Vector.applyInBlocks(parameter.count, [parameter.data, grad.data]) {
                    Self.descend($0[0], $0[1], $1, rate: rate, decay: decay)
                }
            } else {
                let mu = momentum, nesterov = nesterov
                Vector.applyInBlocks(parameter.count, [parameter.data, grad.data, momentumBuffers[index].data]) {
                    Self.descend($0[0], $0[1], $0[2], $1, rate: rate, decay: decay, momentum: mu, nesterov: nesterov)
                }
            }
        }
    }

    /// `p = p − η·(g + λ·p)` over `count` (a multiple of 16) elements.
    static func descend(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ count: Int,
                        rate: Float, decay: Float) {
        var i = 0
        while i < count {
            let pv = Vector.load(p + i)
            let d = Vector.load(g + i).addingProduct(pv, decay)
            Vector.store(pv.addingProduct(d, -rate), p + i)
            i &+= 16
        }
    }

    /// The momentum update over `count` (a multiple of 16) elements, with momentum buffer `b`.
    static func descend(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                        _ b: UnsafeMutablePointer<Float>, _ count: Int,
                        rate: Float, decay: Float, momentum mu: Float, nesterov: Bool) {
        var i = 0
        while i < count {
            let pv = Vector.load(p + i)
            var d = Vector.load(g + i).addingProduct(pv, decay)
            let bv = (Vector.load(b + i) * mu) + d  // torch: buf.mul_(μ).add_(d)
            Vector.store(bv, b + i)
            d = nesterov ? d.addingProduct(bv, mu) : bv
            Vector.store(pv.addingProduct(d, -rate), p + i)
            i &+= 16
        }
    }

    public var state: OptimizerState {
        var tensors: [String: Tensor] = [:]
        for (index, buffer) in momentumBuffers.enumerated() { tensors["momentum_buffer.\(index)"] = buffer }
        return OptimizerState(tensors: tensors, counters: ["step": stepCount])
    }

    public func load(_ saved: OptimizerState) throws {
        let counters = try saved.copy(into: state)
        stepCount = counters["step"] ?? stepCount
    }
}
