/// Changing how elements are arranged: reshape, permute, concatenate, stack.
extension Tensor {
    /// The same elements under a new shape (sharing storage, no copy).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape: \(shape) has \(count) elements, \(newShape) needs \(newShape.reduce(1, *))")
        let x = self
        let out = Tensor(shape: newShape, storage: storage)
        return Tape.record(.reshape, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data
            for i in 0..<x.count { gx[i] += g[i] }
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
            plan.inverse.apply(gradient.data, x.gradientPointer(), accumulate: true)
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
    private static func joined(_ tensors: [Tensor], kind: OpKind, outShape: [Int], outer: Int, blocks: [Int]) -> Tensor {
        let out = Tensor(uninitializedShape: outShape)
        let row = blocks.reduce(0, +)
        var offset = 0
        for (t, block) in zip(tensors, blocks) {
            for o in 0..<outer { (out.data + (o &* row &+ offset)).update(from: t.data + o &* block, count: block) }
            offset += block
        }
        return Tape.record(kind, output: out, inputs: tensors) { gradient in
            var offset = 0
            for (t, block) in zip(tensors, blocks) {
                if t.requiresGrad {
                    let gt = t.gradientPointer()
                    for o in 0..<outer {
                        let source = gradient.data + (o &* row &+ offset), target = gt + o &* block
                        for i in 0..<block { target[i] += source[i] }
                    }
                }
                offset += block
            }
        }
    }
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

    /// `target[outIndex] (+)= source[permuted index]`.
    func apply(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let rank = outShape.count
        let total = outShape.reduce(1, *)
        guard rank > 0, total > 0 else {
            if total == 1 { target[0] = (accumulate ? target[0] : 0) + source[0] }
            return
        }
        let n = outShape[rank - 1], step = sourceStrides[rank - 1]
        var index = [Int](repeating: 0, count: rank)
        var sourceOffset = 0, out = 0
        while out < total {
            if accumulate {
                for t in 0..<n { target[out &+ t] += source[sourceOffset &+ t &* step] }
            } else {
                for t in 0..<n { target[out &+ t] = source[sourceOffset &+ t &* step] }
            }
            out += n
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
