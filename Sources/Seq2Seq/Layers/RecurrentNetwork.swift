import Autograd

/// A stack of recurrent layers, optionally bidirectional: PyTorch's `nn.GRU` / `nn.LSTM` /
/// `nn.RNN` with `batch_first=False`, with the same parameter names.
///
/// Padding is handled with a mask instead of packed sequences: at a padded step the state is
/// carried over unchanged, so the forward direction ends on each sentence's last real token
/// and the backward direction starts from zero at it.
public final class RecurrentNetwork: Module {
    public let kind: CellKind
    public let layers: Int
    public let width: Int
    public let bidirectional: Bool
    /// Dropout on the outputs of every layer but the last, as PyTorch's `dropout` argument.
    public let dropout: Float
    /// `cells[layer * directions + direction]`.
    let cells: [RecurrentCell]

    public var directions: Int { bidirectional ? 2 : 1 }
    /// The width of each output step: `directions · H`.
    public var outputWidth: Int { directions * width }

    public init(kind: CellKind, inputSize: Int, width: Int, layers: Int = 1, bidirectional: Bool = false,
                dropout: Float = 0, generator: inout SeededGenerator) {
        self.kind = kind
        self.layers = layers
        self.width = width
        self.bidirectional = bidirectional
        self.dropout = dropout
        var cells = [RecurrentCell]()
        for layer in 0..<layers {
            for _ in 0..<(bidirectional ? 2 : 1) {
                let input = layer == 0 ? inputSize : width * (bidirectional ? 2 : 1)
                cells.append(RecurrentCell(kind: kind, inputSize: input, width: width, generator: &generator))
            }
        }
        self.cells = cells
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        cells.enumerated().flatMap { index, cell in
            cell.namedParameters(layer: index / directions, reverse: index % directions == 1)
        }
    }

    /// Runs every layer over a whole batch of sequences, each layer (both directions at once)
    /// as one fused op (`Tensor.recurrentLayer`) after one product for its input gates.
    /// - Parameters:
    ///   - x: time-major inputs `[S, B, In]`.
    ///   - mask: per step, `[B, 1]`: 1 for a real token, 0 for padding; `nil` when none is padded.
    /// - Returns: the last layer's outputs `[S, B, directions·H]` and the final hidden state of
    ///   every layer and direction, indexed `layer · directions + direction` (an LSTM's final cell
    ///   state stays inside the fused layer: nothing reads it).
    public func callAsFunction(_ x: Tensor, mask: [Tensor]?, context: inout ForwardContext)
        -> (outputs: Tensor, finalStates: [RecurrentState]) {
        let length = x.shape[0]
        let weights = mask.map { steps in steps.map(\.scalars) }
        var input = x
        var finals = [RecurrentState]()
        for layer in 0..<layers {
            if layer > 0 { input = context.dropout(input, dropout) }
            let layerCells = (0..<directions).map { cells[layer * directions + $0] }
            input = Tensor.recurrentLayer(kind: kind.fused, inputGates: layerCells.map { $0.inputGates(input) },
                                          hiddenWeights: layerCells.map(\.weightHH), hiddenBiases: layerCells.map(\.biasHH),
                                          mask: weights)
            // A forward direction ends at the last step, a backward one at the first.
            for direction in 0..<directions {
                let last = input.select(axis: 0, index: direction == 0 ? length - 1 : 0)
                finals.append(RecurrentState(hidden: directions == 1 ? last : last.slice(axis: 1, start: direction * width, length: width)))
            }
        }
        return (input, finals)
    }

    /// One step of a unidirectional stack, for a decoder.
    /// - Parameters:
    ///   - x: `[B, In]`.
    ///   - states: one per layer.
    /// - Returns: the top layer's output `[B, H]` and the new states.
    public func step(_ x: Tensor, states: [RecurrentState], context: inout ForwardContext)
        -> (output: Tensor, states: [RecurrentState]) {
        precondition(!bidirectional, "a bidirectional network cannot step")
        var input = x
        var next = [RecurrentState]()
        for layer in 0..<layers {
            if layer > 0 { input = context.dropout(input, dropout) }
            let state = cells[layer].step(inputGates: cells[layer].inputGates(input), state: states[layer])
            next.append(state)
            input = state.hidden
        }
        return (input, next)
    }
}
