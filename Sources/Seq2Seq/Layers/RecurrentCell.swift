import Autograd

/// The kind of recurrent unit.
public enum CellKind: String, Codable, CaseIterable, Sendable {
    /// Elman: `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`.
    case rnn
    /// Gated recurrent unit (Cho et al. 2014), gates r, z, n.
    case gru
    /// Long short-term memory (Hochreiter & Schmidhuber 1997), gates i, f, g, o.
    case lstm

    /// The engine's fused layer for this cell.
    var fused: RecurrentCellKind {
        switch self {
        case .rnn: .tanh
        case .gru: .gru
        case .lstm: .lstm
        }
    }

    /// How many `H`-wide gate blocks the weight matrices stack.
    public var gateCount: Int {
        switch self {
        case .rnn: 1
        case .gru: 3
        case .lstm: 4
        }
    }
}

/// The state a recurrent unit carries from step to step.
public struct RecurrentState {
    /// `h`, `[B, H]`.
    public var hidden: Tensor
    /// `c`, `[B, H]`, for an LSTM only.
    public var cell: Tensor?

    public init(hidden: Tensor, cell: Tensor? = nil) {
        self.hidden = hidden
        self.cell = cell
    }

    /// The zero state of a batch.
    public static func zeros(kind: CellKind, batch: Int, width: Int) -> RecurrentState {
        RecurrentState(hidden: .zeros([batch, width]), cell: kind == .lstm ? .zeros([batch, width]) : nil)
    }

    /// `self + m ⊙ (new − self)`: a padded position (`m = 0`) keeps the old state.
    /// - Parameter mask: `[B, 1]`, 1 for real tokens, 0 for padding.
    func blended(toward new: RecurrentState, mask: Tensor) -> RecurrentState {
        func blend(_ old: Tensor, _ new: Tensor) -> Tensor { old + mask * (new - old) }
        return RecurrentState(hidden: blend(hidden, new.hidden),
                              cell: cell.flatMap { old in new.cell.map { blend(old, $0) } })
    }

    /// The rows `indices` of every tensor, for beam search reordering its hypotheses.
    public func selecting(rows indices: [Int]) -> RecurrentState {
        RecurrentState(hidden: hidden.rows(indices), cell: cell?.rows(indices))
    }
}

/// One direction of one layer: the weights and the step of PyTorch's `nn.GRU` / `nn.LSTM` /
/// `nn.RNN`, laid out as they are (`weight_ih [G·H, In]`, `weight_hh [G·H, H]`, biases `[G·H]`).
public final class RecurrentCell {
    public let kind: CellKind
    public let width: Int
    public let weightIH: Tensor, weightHH: Tensor, biasIH: Tensor, biasHH: Tensor

    /// Initialised as PyTorch does: every weight and bias `~ U(−1/√H, 1/√H)`.
    public init(kind: CellKind, inputSize: Int, width: Int, generator: inout SeededGenerator) {
        self.kind = kind
        self.width = width
        let rows = kind.gateCount * width, bound = 1 / Float(width).squareRoot()
        func draw(_ shape: [Int]) -> Tensor {
            Tensor.uniform(shape, low: -bound, high: bound, generator: &generator, requiresGrad: true)
        }
        weightIH = draw([rows, inputSize])
        weightHH = draw([rows, width])
        biasIH = draw([rows])
        biasHH = draw([rows])
    }

    /// The parameters under PyTorch's names for layer `layer`, e.g. `weight_ih_l0_reverse`.
    func namedParameters(layer: Int, reverse: Bool) -> [(name: String, tensor: Tensor)] {
        let suffix = "_l\(layer)" + (reverse ? "_reverse" : "")
        return [("weight_ih" + suffix, weightIH), ("weight_hh" + suffix, weightHH),
                ("bias_ih" + suffix, biasIH), ("bias_hh" + suffix, biasHH)]
    }

    /// `x W_ihᵀ + b_ih` for many steps at once: one large product instead of one per step.
    /// - Parameter x: `[…, In]`. - Returns: `[…, G·H]`.
    func inputGates(_ x: Tensor) -> Tensor { x.linear(weightIH, bias: biasIH) }

    /// One step from precomputed input gates.
    /// - Parameters:
    ///   - gates: `x_t W_ihᵀ + b_ih`, `[B, G·H]`.
    ///   - state: the previous state, `[B, H]` each.
    func step(inputGates gates: Tensor, state: RecurrentState) -> RecurrentState {
        let hiddenGates = state.hidden.linear(weightHH, bias: biasHH)
        switch kind {
        case .rnn:
            return RecurrentState(hidden: (gates + hiddenGates).tanh())
        case .gru:
            return RecurrentState(hidden: Tensor.gruCell(inputGates: gates, hiddenGates: hiddenGates, hidden: state.hidden))
        case .lstm:
            let both = Tensor.lstmCell(gates: gates + hiddenGates, cell: state.cell ?? .zeros(state.hidden.shape))
            return RecurrentState(hidden: both.select(axis: 0, index: 0), cell: both.select(axis: 0, index: 1))
        }
    }
}
