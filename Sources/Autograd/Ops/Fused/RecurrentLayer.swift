/// A whole recurrent layer over a sequence, one or both directions, fused into one op.
///
/// Step by step the layer is small products and small element-wise ops: `h_{t−1} W_hhᵀ` for
/// a batch of 64 is a 64 × 256 × 768 product. Fused, the input gates of every step come in
/// precomputed (`x W_ihᵀ + b_ih`, one large product outside), `W_hh` is packed once per pass,
/// the two directions of a bidirectional layer run at the same time on two threads (each
/// direction's chain of steps is sequential, the directions are independent), and backward
/// sums `∂W_hh = Σ_t ∂gh_tᵀ h_{t−1}` in one product of depth `S · B`.
///
/// At step `t` of a direction, with `gi_t` the input gates and `gh_t = h_{t−1} W_hhᵀ + b_hh`:
///
///     h̃_t = cell(gi_t, gh_t, h_{t−1})        (tanh, GRU or LSTM, `CellMath`)
///     h_t = h_{t−1} + m_t (h̃_t − h_{t−1})     (m_t = 0 at padding: the state carries over)
///
/// (for an LSTM the cell state blends alike). The second direction runs from the last step to
/// the first. Pullback, with `∂h_t` from the output and from step `t + 1`: `∂h̃_t = m_t ∂h_t`,
/// the cell's pullback gives `∂gi_t`, `∂gh_t`, and `∂h_{t−1} = (1 − m_t) ∂h_t + ∂gh_t W_hh`
/// (+ the GRU's direct `z ⊙ ∂h̃_t`).
public enum RecurrentCellKind: Sendable {
    /// `h' = tanh(gi + gh)` (PyTorch's `nn.RNN`).
    case tanh
    /// Gates r | z | n (`GRUCell.swift`).
    case gru
    /// Gates i | f | g | o (`LSTMCell.swift`).
    case lstm

    /// Gate blocks per step.
    public var gates: Int {
        switch self {
        case .tanh: 1
        case .gru: 3
        case .lstm: 4
        }
    }

    /// Floats each row saves per step for the pullback.
    var savedWidth: Int {
        switch self {
        case .tanh: 1
        case .gru: 3
        case .lstm: 5
        }
    }
}

extension Tensor {
    /// - Parameters:
    ///   - inputGates: per direction, `x W_ihᵀ + b_ih`, `[S, B, G·H]`.
    ///   - hiddenWeights: per direction, `W_hh`, `[G·H, H]`.
    ///   - hiddenBiases: per direction, `b_hh`, `[G·H]`.
    ///   - mask: `m[t][b]`, 1 at a real token and 0 at padding; `nil` when nothing is padded.
    /// - Returns: `[S, B, D·H]`, the directions' states side by side. A forward direction's final
    ///   state is its step `S − 1`, a backward direction's its step 0 (padding carries it over).
    public static func recurrentLayer(kind: RecurrentCellKind, inputGates: [Tensor], hiddenWeights: [Tensor],
                                      hiddenBiases: [Tensor], mask: [[Float]]?) -> Tensor {
        let directions = inputGates.count
        precondition((1...2).contains(directions) && hiddenWeights.count == directions && hiddenBiases.count == directions,
                     "recurrentLayer: one or two directions, with weights and biases for each")
        let length = inputGates[0].shape[0], batch = inputGates[0].shape[1], width = hiddenWeights[0].shape[1]
        for d in 0..<directions {
            precondition(inputGates[d].shape == [length, batch, kind.gates * width]
                         && hiddenWeights[d].shape == [kind.gates * width, width] && hiddenBiases[d].shape == [kind.gates * width],
                         "recurrentLayer: gates \(inputGates[d].shape), W_hh \(hiddenWeights[d].shape), b_hh \(hiddenBiases[d].shape)")
        }
        precondition(mask.map { $0.count == length && $0.allSatisfy { $0.count == batch } } ?? true,
                     "recurrentLayer: the mask must be [S][B]")
        let out = Tensor(uninitializedShape: [length, batch, directions * width])
        let passes = (0..<directions).map { d in
            RecurrentPass(kind: kind, length: length, batch: batch, width: width, directions: directions, direction: d,
                          mask: mask)
        }
        eachDirection(directions) { d in
            passes[d].forward(gates: inputGates[d].data, weight: hiddenWeights[d].data, bias: hiddenBiases[d].data,
                              out: out.data)
        }
        return Tape.record(.recurrentLayer, output: out, inputs: inputGates + hiddenWeights + hiddenBiases) { gradient in
            // Gradient buffers are made here, on one thread. A fresh one is written, not zero-filled
            // and added to; directions that share a tensor (the same weights both ways, in a test)
            // add into a zeroed one, one after the other.
            let shares = directions == 2 && (inputGates[0] === inputGates[1] || hiddenWeights[0] === hiddenWeights[1]
                                             || hiddenBiases[0] === hiddenBiases[1])
            func buffer(_ tensor: Tensor) -> CellMath.GradientRow? {
                guard tensor.requiresGrad else { return nil }
                return shares ? (tensor.gradientPointer(), true) : tensor.gradientBuffer()
            }
            let targets = (0..<directions).map { d in (buffer(inputGates[d]), buffer(hiddenWeights[d]), buffer(hiddenBiases[d])) }
            eachDirection(directions, concurrently: !shares) { d in
                passes[d].backward(outputGradient: gradient.data, weight: hiddenWeights[d].data, gates: targets[d].0,
                                   weightGradient: targets[d].1, biasGradient: targets[d].2)
            }
        }
    }

    /// Both directions at once on two threads (each then runs its products on its own thread),
    /// or one direction with the pool free for its products.
    private static func eachDirection(_ directions: Int, concurrently: Bool = true, _ body: (Int) -> Void) {
        if directions == 1 || !concurrently {
            for d in 0..<directions { body(d) }
        } else {
            Parallel.run(tasks: directions, body)
        }
    }
}

/// One direction's forward pass and what its pullback needs.
private final class RecurrentPass {
    let kind: RecurrentCellKind
    let length: Int, batch: Int, width: Int, directions: Int, direction: Int
    let mask: [[Float]]?
    /// Per step in time order, `[S, B, …]`: the state before the step, `gh_t`, the cell's saved
    /// activations, and for an LSTM the cell state before the step.
    let previous: Storage, hiddenGates: Storage, saved: Storage
    let previousCell: Storage?

    init(kind: RecurrentCellKind, length: Int, batch: Int, width: Int, directions: Int, direction: Int, mask: [[Float]]?) {
        (self.kind, self.length, self.batch, self.width) = (kind, length, batch, width)
        (self.directions, self.direction, self.mask) = (directions, direction, mask)
        let rows = length * batch
        previous = Storage(count: rows * width)
        hiddenGates = Storage(count: rows * kind.gates * width)
        saved = Storage(count: rows * kind.savedWidth * width)
        previousCell = kind == .lstm ? Storage(count: rows * width) : nil
    }

    var gateWidth: Int { kind.gates * width }

    /// The time steps in the order this direction takes them.
    var order: [Int] { direction == 0 ? Array(0..<length) : Array((0..<length).reversed()) }

    /// `m_t` for row `b`.
    @inline(__always)
    func weight(_ t: Int, _ b: Int) -> Float { mask?[t][b] ?? 1 }

    func forward(gates: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                 out: UnsafeMutablePointer<Float>) {
        let (batch, width, g) = (batch, width, gateWidth)
        let state = Storage(count: batch * width, repeating: 0)
        let cell = kind == .lstm ? Storage(count: batch * width, repeating: 0) : nil
        let fresh = Storage(count: batch * width), freshCell = Storage(count: batch * width)
        let sum = Storage(count: g)
        let packed = PackedMatrix(transposed: true, k: width, n: g, b: weight, ldb: width)
        for t in order {
            let rows = t &* batch
            let hPrevious = previous.pointer + rows &* width, gh = hiddenGates.pointer + rows &* g
            hPrevious.update(from: state.pointer, count: batch &* width)
            if let cell, let previousCell { (previousCell.pointer + rows &* width).update(from: cell.pointer, count: batch &* width) }
            // gh_t = h_{t−1} W_hhᵀ + b_hh
            if let packed {
                GEMM.multiply(transposeA: false, m: batch, n: g, k: width, a: hPrevious, lda: width,
                              packedB: packed, fallback: weight, ldb: width, c: gh, ldc: g)
            }
            for b in 0..<batch { Vector.add(gh + b &* g, bias, gh + b &* g, g) }
            for b in 0..<batch {
                let gi = gates + (rows &+ b) &* g, ghRow = gh + b &* g
                let s = saved.pointer + (rows &+ b) &* kind.savedWidth &* width
                let h = state.pointer + b &* width, new = fresh.pointer + b &* width
                switch kind {
                case .tanh:
                    Vector.add(gi, ghRow, new, width)
                    Vector.tanh(new, new, width)
                    s.update(from: new, count: width)
                case .gru:
                    CellMath.gruForward(gi: gi, gh: ghRow, h: h, saved: s, out: new, width: width)
                case .lstm:
                    Vector.add(gi, ghRow, sum.pointer, g)
                    if let cell {
                        CellMath.lstmForward(gates: sum.pointer, c: cell.pointer + b &* width, saved: s, h: new,
                                             cell: freshCell.pointer + b &* width, width: width)
                    }
                }
                let m = self.weight(t, b)
                blend(h, toward: new, m)
                if let cell { blend(cell.pointer + b &* width, toward: freshCell.pointer + b &* width, m) }
                (out + ((rows &+ b) &* directions &+ direction) &* width).update(from: h, count: width)
            }
        }
    }

    /// `x ← x + m (new − x)`.
    @inline(__always)
    private func blend(_ x: UnsafeMutablePointer<Float>, toward new: UnsafePointer<Float>, _ m: Float) {
        if m == 1 { x.update(from: new, count: width); return }
        for j in 0..<width { x[j] += m * (new[j] - x[j]) }
    }

    /// Each gradient buffer is added to when it `accumulate`s, else written.
    func backward(outputGradient: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                  gates: CellMath.GradientRow?, weightGradient: CellMath.GradientRow?, biasGradient: CellMath.GradientRow?) {
        let (batch, width, g) = (batch, width, gateWidth)
        let rows = length * batch
        // ∂gh_t for every step: the tanh and GRU cells write every element, the LSTM cell adds.
        let dGates = kind == .lstm ? Storage(count: rows * g, repeating: 0) : Storage(count: rows * g)
        var dh = Storage(count: batch * width, repeating: 0), dc = Storage(count: batch * width, repeating: 0)
        var dhNext = Storage(count: batch * width), dcNext = Storage(count: batch * width)
        let dNew = Storage(count: width), dNewCell = Storage(count: width)
        let packed = PackedMatrix(transposed: false, k: g, n: width, b: weight, ldb: width)
        for t in order.reversed() {
            let base = t &* batch
            for b in 0..<batch {
                let row = base &+ b
                let dhRow = dh.pointer + b &* width
                Vector.add(dhRow, outputGradient + (row &* directions &+ direction) &* width, dhRow, width)
                let m = self.weight(t, b)
                // ∂h̃ = m ∂h; what does not reach the cell passes straight to h_{t−1}.
                for j in 0..<width { dNew.pointer[j] = m * dhRow[j] }
                let carried = dhNext.pointer + b &* width
                for j in 0..<width { carried[j] = (1 - m) * dhRow[j] }
                let s = saved.pointer + row &* kind.savedWidth &* width
                let dgh = dGates.pointer + row &* g
                switch kind {
                case .tanh:
                    for j in 0..<width { dgh[j] = dNew.pointer[j] * (1 - s[j] * s[j]) }
                    if let gates { put(dgh, into: gates, row: row) }
                case .gru:
                    CellMath.gruBackward(g: dNew.pointer, saved: s, gh: hiddenGates.pointer + row &* g,
                                         h: previous.pointer + row &* width, dgi: gates.map { ($0.pointer + row &* g, $0.accumulate) },
                                         dgh: (dgh, false), dh: (carried, true), width: width)
                case .lstm:
                    let dcRow = dc.pointer + b &* width, dcCarried = dcNext.pointer + b &* width
                    for j in 0..<width {
                        dNewCell.pointer[j] = m * dcRow[j]
                        dcCarried[j] = (1 - m) * dcRow[j]
                    }
                    if let previousCell {
                        CellMath.lstmBackward(gh: dNew.pointer, gc: dNewCell.pointer, saved: s, c: previousCell.pointer + row &* width,
                                              da: dgh, dc: dcCarried, width: width)
                    }
                    if let gates { put(dgh, into: gates, row: row) }
                }
            }
            // ∂h_{t−1} += ∂gh_t W_hh
            if let packed {
                GEMM.multiply(transposeA: false, m: batch, n: width, k: g, a: dGates.pointer + base &* g, lda: g,
                              packedB: packed, fallback: weight, ldb: width, beta: 1, c: dhNext.pointer, ldc: width)
            }
            swap(&dh, &dhNext)
            swap(&dc, &dcNext)
        }
        // ∂W_hh += Σ_t ∂gh_tᵀ h_{t−1}, ∂b_hh += Σ_t Σ_b ∂gh_t: one product over every step.
        if let weightGradient {
            GEMM.multiply(transposeA: true, transposeB: false, m: g, n: width, k: rows, a: dGates.pointer, lda: g,
                          b: previous.pointer, ldb: width, beta: weightGradient.accumulate ? 1 : 0,
                          c: weightGradient.pointer, ldc: width)
        }
        if let biasGradient {
            Vector.columnSums(dGates.pointer, rows: rows, n: g, into: biasGradient.pointer, accumulate: biasGradient.accumulate)
        }
    }

    /// Row `row` of the input gates' gradient: `+= dgh`, or `= dgh` into a fresh buffer.
    @inline(__always)
    private func put(_ dgh: UnsafePointer<Float>, into gates: CellMath.GradientRow, row: Int) {
        let target = gates.pointer + row &* gateWidth
        if gates.accumulate {
            Vector.add(target, dgh, target, gateWidth)
        } else {
            target.update(from: dgh, count: gateWidth)
        }
    }
}
