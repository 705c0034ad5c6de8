/// Changing how elements are arranged: reshape, permute, concatenate, stack.
extension Tensor {
    /// The same elements under a new shape (sharing storage, no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape: \(shape) has \(count) elements, \(newShape) needs \(newShape.reduce(1, *))")
        let x = self
        let out = Tensor(shape: newShape, storage: storage)
        return Tape.record(.reshape, output: out, inputs: [x]) { gradient in
            // The same elements: the output's gradient is the input's, taken over without a copy.
            x.accumulateGradient(gradient, adopting: true)
        }
    }

    /// Reorders the axes: axis `i` of the result is axis `axes[i]` of `self` (a copy).
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permute: \(axes) is not a permutation of the \(rank) axes")
        let x = self
        let outShape = axes.map { shape[$0] }
        let out = Tensor(uninitializedShape: outShape)
        let plan = Permutation(shape: shape, axes: axes)
        plan.apply(x.data, out.data, accumulate: false)
        return Tape.record(.permute, output: out, inputs: [x]) { gradient in
            // The inverse permutation carries the gradient back.
            let (gx, accumulate) = x.gradientBuffer()
            plan.inverse.apply(gradient.data, gx, accumulate: accumulate)
        }
    }

    /// Swaps two axes.
    public func transposed(_ first: Int, _ second: Int) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(first, second)
        return permuted(axes)
    }

    /// Joins tensors along `axis`; all other extents must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat: no tensors")
        let first = tensors[0].shape
        for t in tensors {
            precondition(t.rank == first.count && (0..<t.rank).allSatisfy { $0 == axis || t.shape[$0] == first[$0] },
                         "concat: shapes \(tensors.map(\.shape)) along axis \(axis)")
        }
        var outShape = first
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        return joined(tensors, kind: .concat, outShape: outShape, outer: first.outerCount(before: axis),
                      blocks: tensors.map { $0.count / first.outerCount(before: axis) })
    }

    /// Stacks equally shaped tensors along a new axis `axis`.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty && tensors.allSatisfy { $0.shape == tensors[0].shape }, "stack: shapes \(tensors.map(\.shape))")
        var outShape = tensors[0].shape
        outShape.insert(tensors.count, at: axis)
        let outer = tensors[0].shape[..<axis].reduce(1, *)
        return joined(tensors, kind: .stack, outShape: outShape, outer: outer,
                      blocks: tensors.map { $0.count / outer })
    }

    /// Interleaves, for each of `outer` outer positions, block `i` of tensor `i` in order.
    /// Joins of `copyGrain` elements or more are split over the `Parallel` pool, forward and
    /// backward: by outer positions (every tensor's share of each), or with one outer position
    /// by tensors.
    private static func joined(_ tensors: [Tensor], kind: OpKind, outShape: [Int], outer: Int, blocks: [Int]) -> Tensor {
        let out = Tensor(uninitializedShape: outShape)
        let row = blocks.reduce(0, +)
        var offsets = [Int](repeating: 0, count: tensors.count)
        for i in 1..<Swift.max(tensors.count, 1) { offsets[i] = offsets[i - 1] + blocks[i - 1] }
        let parts = outer > 1 ? Swift.min(outer, Parallel.pieces(out.count, grain: copyGrain)) : 1
        let byTensors = outer == 1 && Parallel.pieces(out.count, grain: copyGrain) > 1
        /// Runs `body(t, positions)` over every tensor and outer position, split as above.
        func split(_ body: @escaping (Int, Range<Int>) -> Void) {
            if byTensors {
                Parallel.run(tasks: tensors.count) { body($0, 0..<outer) }
            } else {
                Parallel.run(tasks: parts) { part in
                    for t in tensors.indices { body(t, outer * part / parts ..< outer * (part + 1) / parts) }
                }
            }
        }
        split { t, positions in
            let block = blocks[t], source = tensors[t].data, target = out.data + offsets[t]
            for o in positions { (target + o &* row).update(from: source + o &* block, count: block) }
        }
        return Tape.record(kind, output: out, inputs: tensors) { gradient in
            // Gradient buffers are made here, on the calling thread, before any task runs.
            let targets = tensors.map { $0.requiresGrad ? $0.gradientBuffer() : nil }
            split { t, positions in
                guard let (target, accumulate) = targets[t] else { return }
                let block = blocks[t], source = UnsafePointer(gradient.data) + offsets[t]
                for o in positions {
                    if accumulate {
                        Vector.add(target + o &* block, source + o &* row, target + o &* block, block)
                    } else {
                        (target + o &* block).update(from: source + o &* row, count: block)
                    }
                }
            }
        }
    }

    /// Elements from which a join is split between threads: a decoder step's `[E y; c]` of
    /// 64 × 768 is (split by rows, it and its gradient took the GRU training step on Zen 4 from
    /// 61.5 to 59.5 ms in bf16; before, it was copied whole on one thread).
    private static let copyGrain = 1 << 14
}

/// A strided copy that reorders axes, walked with the innermost output axis as the inner loop.
struct Permutation {
    let outShape: [Int]
    /// For each output axis, the stride of the corresponding input axis.
    let sourceStrides: [Int]
    let inverse: InversePermutation

    init(shape: [Int], axes: [Int]) {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        outShape = axes.map { shape[$0] }
        sourceStrides = axes.map { strides[$0] }
        var back = [Int](repeating: 0, count: axes.count)
        for (i, axis) in axes.enumerated() { back[axis] = i }
        inverse = InversePermutation(shape: outShape, axes: back)
    }

    /// `target[outIndex] (+)= source[permuted index]`, split by output rows over the `Parallel`
    /// pool when large; a row whose source is contiguous is one copy (or one vector add).
    func apply(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let rank = outShape.count
        let total = outShape.reduce(1, *)
        guard rank > 0, total > 0 else {
            if total == 1 { target[0] = (accumulate ? target[0] : 0) + source[0] }
            return
        }
        let n = outShape[rank - 1]
        Parallel.forEachRange(total / Swift.max(n, 1), grain: Swift.max(1, Parallel.elementGrain / Swift.max(n, 1)),
                              alignment: 1) { rows in
            apply(source, target, accumulate: accumulate, rows: rows)
        }
    }

    private func apply(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, accumulate: Bool,
                       rows: Range<Int>) {
        let rank = outShape.count
        let n = outShape[rank - 1], step = sourceStrides[rank - 1]
        // The multi-index of the first row's first element, and its source offset.
        var index = [Int](repeating: 0, count: rank)
        var sourceOffset = 0
        var rest = rows.lowerBound
        for axis in stride(from: rank - 2, through: 0, by: -1) {
            index[axis] = rest % outShape[axis]
            rest /= outShape[axis]
            sourceOffset += index[axis] * sourceStrides[axis]
        }
        var out = rows.lowerBound &* n
        for _ in rows {
            let from = source + sourceOffset, to = target + out
            switch (step == 1, accumulate) {
            case (true, false): to.update(from: from, count: n)
            case (true, true): Vector.add(to, from, to, n)
            case (false, false): for t in 0..<n { to[t] = from[t &* step] }
            case (false, true): for t in 0..<n { to[t] += from[t &* step] }
            }
            out &+= n
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                sourceOffset += sourceStrides[axis]
                if index[axis] < outShape[axis] { break }
                sourceOffset -= sourceStrides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

/// The permutation that undoes a `Permutation` (a separate type: a struct cannot hold itself).
struct InversePermutation {
    let shape: [Int], axes: [Int]
    func apply(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, accumulate: Bool) {
        Permutation(shape: shape, axes: axes).apply(source, target, accumulate: accumulate)
    }
}
