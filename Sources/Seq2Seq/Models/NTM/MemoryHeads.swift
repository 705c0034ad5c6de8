import Autograd

/// What the controller emits for a group of `h` heads to address the memory with (Graves et
/// al. 2014, §3.3, figure 2), each through the non-linearity that keeps it in its range.
public struct HeadParameters {
    /// The key `k`, `[B, h, M]`: `tanh` (the paper leaves it unconstrained; a bounded key keeps
    /// the cosine's gradient from vanishing with a huge norm).
    public var key: Tensor
    /// The key strength `β ≥ 0`, `[B, h, 1]`: softplus.
    public var strength: Tensor
    /// The interpolation gate `g ∈ (0, 1)`, `[B, h, 1]`: sigmoid.
    public var gate: Tensor
    /// The shift weighting `s` over `−K … K`, `[B, h, 2K + 1]`: softmax.
    public var shifts: Tensor
    /// The sharpening exponent `γ ≥ 1`, `[B, h, 1]`: 1 + softplus.
    public var sharpening: Tensor

    /// The parameters from what the controller emitted, laid out per head as
    /// `[k (M) | β | g | s (2K + 1) | γ | …]` (a write head's erase and add vectors may follow).
    /// - Parameters:
    ///   - emitted: `[B, h, P]` with `P ≥ M + 2K + 4`.
    ///   - memoryWidth: `M`. - shiftRange: `K`.
    public init(emitted: Tensor, memoryWidth m: Int, shiftRange: Int) {
        let span = 2 * shiftRange + 1
        precondition(emitted.rank == 3 && emitted.shape[2] >= m + span + 3, "HeadParameters: emitted \(emitted.shape) for M = \(m), K = \(shiftRange)")
        func part(_ start: Int, _ length: Int) -> Tensor { emitted.slice(axis: 2, start: start, length: length) }
        key = part(0, m).tanh()
        strength = part(m, 1).softplus()
        gate = part(m + 1, 1).sigmoid()
        shifts = part(m + 2, span).softmax()
        sharpening = part(m + 2 + span, 1).softplus() + 1
    }

    /// The heads' weightings over the memory's slots (§3.3), from their previous weightings and
    /// the memory as it stood before this step's write:
    ///
    ///     w^c_t = softmax(β_t · K[k_t, M_{t−1}(i)])      content (eq. 5, K the cosine of eq. 6)
    ///     w^g_t = g_t w^c_t + (1 − g_t) w_{t−1}           interpolation (eq. 7)
    ///     w̃_t(i) = Σ_j w^g_t(j) s_t(i − j)                 circular shift (eq. 8)
    ///     w_t(i) = w̃_t(i)^γ_t / Σ_j w̃_t(j)^γ_t              sharpening (eq. 9)
    ///
    /// - Parameters:
    ///   - memory: `M_{t−1}`, `[B, N, M]`.
    ///   - previous: `w_{t−1}`, `[B, h, N]`.
    /// - Returns: `w_t`, `[B, h, N]`, each row summing to 1.
    public func address(memory: Tensor, previous: Tensor) -> Tensor {
        let content = (Tensor.cosineSimilarity(keys: key, memory: memory) * strength).softmax()
        let gated = previous + gate * (content - previous)
        return gated.circularConvolution(shifts: shifts).sharpened(gamma: sharpening)
    }
}

/// A group of heads of one kind (the read heads, or the write head): one linear layer maps the
/// controller's output to every head's parameters, laid out per head as
/// `[k (M) | β | g | s (2K + 1) | γ]`, followed for a write head by `[e (M) | a (M)]`.
final class MemoryHeads: Module {
    let projection: Linear
    let count: Int
    let memoryWidth: Int
    let shiftRange: Int
    /// Whether the heads write, and so also emit erase and add vectors.
    let writes: Bool

    init(count: Int, controllerWidth: Int, memoryWidth: Int, shiftRange: Int, writes: Bool, generator: inout SeededGenerator) {
        (self.count, self.memoryWidth, self.shiftRange, self.writes) = (count, memoryWidth, shiftRange, writes)
        let width = memoryWidth + 2 * shiftRange + 4 + (writes ? 2 * memoryWidth : 0)
        projection = Linear(inputSize: controllerWidth, outputSize: count * width, generator: &generator)
    }

    var namedParameters: [(name: String, tensor: Tensor)] { projection.namedParameters }

    /// - Parameter controller: the controller's output `[B, H]`.
    /// - Returns: the addressing parameters, and everything the heads emitted, `[B, h, ·]`
    ///   (what `writeVectors` reads the erase and add vectors from).
    func callAsFunction(_ controller: Tensor) -> (addressing: HeadParameters, emitted: Tensor) {
        let raw = projection(controller)
        let emitted = raw.reshaped([controller.shape[0], count, raw.shape[1] / count])
        return (HeadParameters(emitted: emitted, memoryWidth: memoryWidth, shiftRange: shiftRange), emitted)
    }

    /// A writing head's erase vectors `e = σ(·) ∈ (0, 1)^M` and add vectors `a = tanh(·)` (§3.2),
    /// `[B, h, M]` each, from what `callAsFunction` emitted.
    func writeVectors(_ emitted: Tensor) -> (erase: Tensor, add: Tensor) {
        let start = memoryWidth + 2 * shiftRange + 4
        precondition(writes && emitted.shape[2] == start + 2 * memoryWidth, "writeVectors: these heads do not write")
        return (emitted.slice(axis: 2, start: start, length: memoryWidth).sigmoid(),
                emitted.slice(axis: 2, start: start + memoryWidth, length: memoryWidth).tanh())
    }
}
