/// The append-only record of differentiable operations, in the order they ran.
///
/// `backward()` walks it from the loss down to the first entry with a plain loop: no graph
/// sort, no recursion, so a chain of any length cannot overflow the stack. Because entries
/// are in creation order, every consumer of a tensor is visited before its producer, and the
/// producer's pullback sees the fully accumulated gradient (the Marian / micrograd scheme).
public final class Tape {
    /// One recorded operation: its result and the pullback that maps ∂loss/∂output to its
    /// inputs, adding (`+=`) into their gradient buffers.
    struct Entry {
        let kind: OpKind
        let output: Tensor
        let pullback: (_ outputGradient: Tensor) -> Void
    }

    /// The tape operations are recorded on. One training loop, one thread, one tape.
    nonisolated(unsafe) public static var current = Tape()
    /// Whether operations are being recorded (see `withoutGradients`).
    nonisolated(unsafe) public static var isRecording = true

    private(set) var entries: [Entry] = []

    public init() {}

    /// The number of recorded operations.
    public var count: Int { entries.count }

    /// The kinds of the recorded operations, oldest first.
    public var kinds: [OpKind] { entries.map(\.kind) }

    /// Forgets every recorded operation (and with them the intermediate tensors they hold).
    public func reset() {
        for entry in entries { entry.output.tapeIndex = -1 }
        entries.removeAll(keepingCapacity: true)
    }

    /// Records an operation whose output depends on `inputs`, if any of them needs a gradient.
    /// - Returns: `output`, marked as requiring a gradient when recorded.
    @discardableResult
    static func record(_ kind: OpKind, output: Tensor, inputs: [Tensor],
                       pullback: @escaping (_ outputGradient: Tensor) -> Void) -> Tensor {
        guard isRecording, inputs.contains(where: \.requiresGrad) else { return output }
        OpTimes.mark("forward \(kind)")
        output.requiresGrad = true
        output.tapeIndex = current.entries.count
        current.entries.append(Entry(kind: kind, output: output, pullback: pullback))
        return output
    }

    /// Runs the pullbacks from `root`'s entry down to the first, then clears the tape.
    func backward(from root: Tensor) {
        precondition(root.tapeIndex >= 0 && root.tapeIndex < entries.count && entries[root.tapeIndex].output === root,
                     "backward() needs a tensor recorded on the current tape")
        let deferred = DeferredWeightGradients(), contexts = DeferredContextGradients()
        (DeferredWeightGradients.active, DeferredContextGradients.active) = (deferred, contexts)
        defer { (DeferredWeightGradients.active, DeferredContextGradients.active) = (nil, nil) }
        OpTimes.mark(nil)
        for index in stride(from: root.tapeIndex, through: 0, by: -1) {
            let entry = entries[index]
            // Every consumer of this output has run: what waits for its gradient is due now.
            if !contexts.isEmpty, contexts.flush(entry.output) { OpTimes.mark("backward attention contexts, deferred") }
            guard let gradient = entry.output.grad else { continue }
            entry.pullback(gradient)
            OpTimes.mark("backward \(entry.kind)")
            // An intermediate result's gradient is spent once its pullback ran: free it now.
            entry.output.grad = nil
        }
        contexts.flushAll()
        OpTimes.mark("backward attention contexts, deferred")
        deferred.flush()
        OpTimes.mark("backward weight gradients, deferred")
        reset()
    }
}

/// Runs `body` without recording anything: for inference, where no memory is kept for backward.
public func withoutGradients<Result>(_ body: () throws -> Result) rethrows -> Result {
    let previous = Tape.isRecording
    Tape.isRecording = false
    defer { Tape.isRecording = previous }
    return try body()
}

extension Tensor {
    /// Back-propagates from this tensor: afterwards every tensor that requires a gradient
    /// and contributed to it holds ∂self/∂tensor, added to what its `grad` already held.
    /// - Parameter seed: ∂loss/∂self; defaults to ones (for a scalar loss: dloss/dloss = 1).
    public func backward(seed: Tensor? = nil) {
        guard requiresGrad, tapeIndex >= 0 else { return }
        let seed = seed ?? Tensor(shape: shape, repeating: 1)
        precondition(seed.count == count, "seed shape \(seed.shape) does not match \(shape)")
        let pointer = gradientPointer()
        for i in 0..<count { pointer[i] += seed.data[i] }
        Tape.current.backward(from: self)
    }
}
