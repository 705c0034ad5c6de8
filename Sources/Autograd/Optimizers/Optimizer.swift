/// Updates parameter tensors in place from their gradients.
///
/// An optimizer holds the parameters it was built with, in a fixed order, and keys its state
/// by their index, as PyTorch's `Optimizer.state_dict()` does: `exp_avg.3` is the first-moment
/// estimate of parameter 3. A parameter whose `grad` is `nil` at a `step()` is left alone,
/// and so is its state.
///
/// The usual loop: `loss.backward()`, optionally `clipGradientNorm(...)`, `step()`,
/// `zeroGradients()`.
public protocol Optimizer: AnyObject {
    /// The tensors `step()` updates, in the order their state is keyed by.
    var parameters: [Tensor] { get }
    /// The step size of the next `step()`; a `LearningRateSchedule` may set it before each step.
    var learningRate: Float { get set }
    /// The number of `step()` calls so far (restored by `load(_:)`).
    var stepCount: Int { get }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// The optimizer's state: moment tensors keyed `name.index`, and counters (`"step"`, and
    /// for Adam the per-parameter `"step.index"`). The tensors are the live buffers, not copies.
    var state: OptimizerState { get }
    /// Restores a state saved from `state` by an optimizer of the same kind over parameters
    /// of the same shapes; values are copied into this optimizer's own buffers.
    /// - Throws: `OptimizerStateError` if a key is missing, unexpected, or has the wrong shape;
    ///   the optimizer is then left unchanged.
    func load(_ state: OptimizerState) throws
}

extension Optimizer {
    /// Forgets every parameter's gradient, so the next `backward()` starts from zero.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGrad() }
    }
}

/// The named state of an optimizer, as a checkpoint stores it: tensors for the per-element
/// moments, integers for the counters.
public struct OptimizerState {
    public var tensors: [String: Tensor]
    public var counters: [String: Int]

    public init(tensors: [String: Tensor] = [:], counters: [String: Int] = [:]) {
        self.tensors = tensors
        self.counters = counters
    }
}

/// Why a saved optimizer state does not fit an optimizer.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    case missingKey(String)
    case unexpectedKey(String)
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    case invalidCounter(key: String, value: Int)

    public var description: String {
        switch self {
        case .missingKey(let key): return "optimizer state has no entry '\(key)'"
        case .unexpectedKey(let key): return "optimizer state has an unexpected entry '\(key)'"
        case .shapeMismatch(let key, let expected, let found):
            return "optimizer state '\(key)' has shape \(found), expected \(expected)"
        case .invalidCounter(let key, let value): return "optimizer counter '\(key)' is \(value), expected ≥ 0"
        }
    }
}

extension OptimizerState {
    /// Checks that this state has exactly the keys and shapes of `expected`, then copies its
    /// tensors into `expected`'s and returns its counters; throws before writing anything.
    func copy(into expected: OptimizerState) throws -> [String: Int] {
        for key in tensors.keys.sorted() where expected.tensors[key] == nil { throw OptimizerStateError.unexpectedKey(key) }
        for key in counters.keys.sorted() where expected.counters[key] == nil { throw OptimizerStateError.unexpectedKey(key) }
        var copies: [(source: Tensor, target: Tensor)] = []
        for (key, target) in expected.tensors.sorted(by: { $0.key < $1.key }) {
            guard let source = tensors[key] else { throw OptimizerStateError.missingKey(key) }
            guard source.shape == target.shape else {
                throw OptimizerStateError.shapeMismatch(key: key, expected: target.shape, found: source.shape)
            }
            copies.append((source, target))
        }
        for key in expected.counters.keys.sorted() {
            guard let value = counters[key] else { throw OptimizerStateError.missingKey(key) }
            guard value >= 0 else { throw OptimizerStateError.invalidCounter(key: key, value: value) }
        }
        for (source, target) in copies where source !== target {
            target.data.update(from: source.data, count: target.count)
        }
        return counters
    }
}

/// Whether `parameters` holds no tensor twice (a tensor listed twice would be updated twice).
func areDistinct(_ parameters: [Tensor]) -> Bool {
    Set(parameters.map(ObjectIdentifier.init)).count == parameters.count
}

// MARK: - Block iteration shared by the update kernels

extension Vector {
    /// Runs `kernel(buffers, n)` — a loop over `n` elements, `n` a multiple of 16, with whole
    /// `SIMD16` loads and stores — over the first `count` elements of every buffer: on the
    /// whole blocks in place, then on the last `count % 16` elements copied into zero-padded
    /// scratch blocks, whose results are copied back. The kernel is a plain loop (no closure
    /// per block), so its vector code stays whole; the kernel call itself costs ~2 per tensor.
    static func applyInBlocks(_ count: Int, _ buffers: [UnsafeMutablePointer<Float>],
                              _ kernel: (_ buffers: [UnsafeMutablePointer<Float>], _ count: Int) -> Void) {
        let whole = count & ~15, rest = count &- whole
        if whole > 0 { kernel(buffers, whole) }
        guard rest > 0 else { return }
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 16 * buffers.count)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: 16 * buffers.count)
        for (k, buffer) in buffers.enumerated() { (scratch + 16 * k).update(from: buffer + whole, count: rest) }
        kernel(buffers.indices.map { scratch + 16 * $0 }, 16)
        for (k, buffer) in buffers.enumerated() { (buffer + whole).update(from: scratch + 16 * k, count: rest) }
    }
}
