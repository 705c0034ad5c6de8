import Foundation

/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1), step
/// for step as `torch.optim.Adam` (amsgrad off): with L2 weight decay λ folded into the
/// gradient, and ε added *outside* the square root, after the bias correction:
///
///     g = ∇ + λ·p
///     m = β₁·m + (1 − β₁)·g
///     v = β₂·v + (1 − β₂)·g²
///     p = p − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// `t` counts this parameter's updates, as PyTorch's per-parameter `state['step']` does (it
/// equals `stepCount` when every parameter gets a gradient at every step). For weight decay
/// decoupled from the gradient statistics use `AdamW`.
/// State: `exp_avg.i` (m), `exp_avg_sq.i` (v), counters `step` and `step.i` (t).
public final class Adam: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    public var beta1: Float { moments.beta1 }
    public var beta2: Float { moments.beta2 }
    public var epsilon: Float { moments.epsilon }
    /// λ, added to the gradient (an L2 penalty `λ/2·‖p‖²` on the loss).
    public var weightDecay: Float
    public var stepCount: Int { moments.stepCount }
    private let moments: AdamMoments

    /// - Precondition: `0 ≤ beta1 < 1`, `0 ≤ beta2 < 1`, `epsilon ≥ 0`; no tensor listed twice.
    public init(parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        moments = AdamMoments(parameters: parameters, beta1: beta1, beta2: beta2, epsilon: epsilon)
    }

    public func step() {
        moments.step(learningRate: learningRate, l2Decay: weightDecay, decoupledDecay: 0)
    }

    public var state: OptimizerState { moments.state }
    public func load(_ saved: OptimizerState) throws { try moments.load(saved) }
}

/// The moment estimates and the update rule that `Adam` and `AdamW` share.
final class AdamMoments {
    let parameters: [Tensor]
    let beta1: Float, beta2: Float, epsilon: Float
    /// m and v for each parameter.
    let firstMoments: [Tensor], secondMoments: [Tensor]
    /// t for each parameter: how many updates it has had.
    var parameterSteps: [Int]
    var stepCount = 0

    init(parameters: [Tensor], beta1: Float, beta2: Float, epsilon: Float) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam betas must lie in [0, 1), got \(beta1), \(beta2)")
        precondition(epsilon >= 0, "Adam epsilon must be ≥ 0, got \(epsilon)")
        precondition(areDistinct(parameters), "Adam: a parameter tensor is listed twice")
        self.parameters = parameters
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        firstMoments = parameters.map { Tensor.zeros($0.shape) }
        secondMoments = parameters.map { Tensor.zeros($0.shape) }
        parameterSteps = Array(repeating: 0, count: parameters.count)
    }

    /// One Adam update of every parameter with a gradient. `l2Decay` is added to the gradient
    /// (Adam); `decoupledDecay` first shrinks the parameter, `p = p·(1 − η·λ)` (AdamW).
    ///
    /// The parameters are cut into pieces of at most `piece` elements (a multiple of 16), and
    /// the pieces of all parameters run as the tasks of one `Parallel` job. Every element's
    /// update is independent of the others, so the split changes no bit.
    func step(learningRate: Float, l2Decay: Float, decoupledDecay: Float) {
        stepCount += 1
        var pieces: [(buffers: [UnsafeMutablePointer<Float>], count: Int, coefficients: Coefficients)] = []
        var total = 0
        for (index, parameter) in parameters.enumerated() {
            guard let grad = parameter.grad else { continue }
            parameterSteps[index] += 1
            let t = Double(parameterSteps[index])
            // Bias corrections in Float64, as PyTorch computes them from Python floats.
            let stepSize = Float(Double(learningRate) / (1 - Foundation.pow(Double(beta1), t)))
            let inverseCorrection2Root = Float(1 / (1 - Foundation.pow(Double(beta2), t)).squareRoot())
            let coefficients = Coefficients(beta1: beta1, beta2: beta2, epsilon: epsilon, stepSize: stepSize,
                                            inverseCorrection2Root: inverseCorrection2Root, l2Decay: l2Decay,
                                            shrink: 1 - learningRate * decoupledDecay)
            let buffers = [parameter.data, grad.data, firstMoments[index].data, secondMoments[index].data]
            for lower in stride(from: 0, to: parameter.count, by: Self.piece) {
                pieces.append((buffers.map { $0 + lower }, Swift.min(Self.piece, parameter.count - lower), coefficients))
            }
            total += parameter.count
        }
        let update = { (piece: Int) in
            let (buffers, count, coefficients) = pieces[piece]
            Vector.applyInBlocks(count, buffers) { Self.update($0[0], $0[1], $0[2], $0[3], $1, coefficients) }
        }
        if Parallel.pieces(total, grain: Parallel.elementGrain) > 1 {
            Parallel.run(tasks: pieces.count, update)
        } else {
            for piece in pieces.indices { update(piece) }
        }
    }

    /// The most elements one task of `step` updates.
    static let piece = 1 << 16

    struct Coefficients {
        let beta1: Float, beta2: Float, epsilon: Float
        /// η / (1 − β₁ᵗ) and 1 / √(1 − β₂ᵗ).
        let stepSize: Float, inverseCorrection2Root: Float
        /// λ added to the gradient (Adam), and the factor 1 − η·λ applied to p first (AdamW).
        let l2Decay: Float, shrink: Float
    }

    /// The update of `count` (a multiple of 16) elements of parameter `p`, gradient `g`,
    /// moments `m` and `v`.
    static func update(_ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
                       _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                       _ count: Int, _ c: Coefficients) {
        var i = 0
        while i < count {
            var pv = Vector.load(p + i)
            if c.shrink != 1 { pv *= c.shrink }
            let gv = Vector.load(g + i).addingProduct(pv, c.l2Decay)
            var mv = Vector.load(m + i)
            mv = mv.addingProduct(gv - mv, 1 - c.beta1)  // torch: m.lerp_(g, 1 − β₁)
            let vv = (Vector.load(v + i) * c.beta2).addingProduct(gv * gv, 1 - c.beta2)
            // A multiply where PyTorch divides by √(1 − β₂ᵗ): one division per element is the limit.
            let denominator = Vector.squareRoot(vv) * c.inverseCorrection2Root + c.epsilon
            pv = pv.addingProduct(mv / denominator, -c.stepSize)
            Vector.store(mv, m + i)
            Vector.store(vv, v + i)
            Vector.store(pv, p + i)
            i &+= 16
        }
    }

    var state: OptimizerState {
        var result = OptimizerState(counters: ["step": stepCount])
        for index in parameters.indices {
            result.tensors["exp_avg.\(index)"] = firstMoments[index]
            result.tensors["exp_avg_sq.\(index)"] = secondMoments[index]
            result.counters["step.\(index)"] = parameterSteps[index]
        }
        return result
    }

    func load(_ saved: OptimizerState) throws {
        let counters = try saved.copy(into: state)
        stepCount = counters["step"] ?? stepCount
        for index in parameters.indices { parameterSteps[index] = counters["step.\(index)"] ?? parameterSteps[index] }
    }
}
