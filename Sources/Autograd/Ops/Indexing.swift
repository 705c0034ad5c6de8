/// Gathering rows, cutting slices, and filling masked positions.
extension Tensor {
    /// Looks up rows of an embedding table: `out[…, :] = self[indices[…], :]`.
    ///
    /// The pullback scatter-adds each output row's gradient into the row it came from, so a
    /// token that occurs twice receives both gradients.
    /// - Parameters:
    ///   - self: the table `[V, E]`.
    ///   - indices: row numbers in `0..<V`, row-major over `shape`.
    ///   - shape: the shape of the index array, e.g. `[B, S]`.
    ///   - paddingIndex: a row that never receives a gradient (as PyTorch's `padding_idx`).
    /// - Returns: `shape + [E]`.
    public func embedding(_ indices: [Int], shape: [Int], paddingIndex: Int? = nil) -> Tensor {
        precondition(rank == 2 && indices.count == shape.reduce(1, *), "embedding: table \(self.shape), \(indices.count) indices for \(shape)")
        let table = self, width = self.shape[1], rows = self.shape[0]
        for row in indices { precondition(row >= 0 && row < rows, "embedding: index \(row) outside 0..<\(rows)") }
        let out = Tensor(uninitializedShape: shape + [width])
        // Rows split over the pool (a Transformer's 1,280 × 256 lookups).
        Parallel.forEachRange(indices.count, grain: Swift.max(1, Parallel.elementGrain / Swift.max(width, 1)), alignment: 1) { range in
            for n in range { (out.data + n &* width).update(from: table.data + indices[n] &* width, count: width) }
        }
        return Tape.record(.embedding, output: out, inputs: [table]) { gradient in
            let gw = table.gradientPointer(), g = gradient.data
            for (n, row) in indices.enumerated() where row != paddingIndex {
                Vector.add(gw + row &* width, g + n &* width, gw + row &* width, width)
            }
        }
    }

    /// The sub-tensor `start..<start+length` along `axis` (a copy).
    public func slice(axis: Int, start: Int, length: Int) -> Tensor {
        precondition(axis >= 0 && axis < rank && start >= 0 && length >= 0 && start + length <= shape[axis],
                     "slice: \(start)..<\(start + length) along axis \(axis) of \(shape)")
        let x = self
        let outer = shape.outerCount(before: axis), inner = shape.innerCount(after: axis)
        var outShape = shape
        outShape[axis] = length
        let out = Tensor(uninitializedShape: outShape)
        let sourceBlock = shape[axis] &* inner, block = length &* inner, skip = start &* inner
        // Split by outer positions; with one (rows of a weight), within the block.
        let grain = Swift.max(1, Parallel.elementGrain / Swift.max(block, 1))
        if outer == 1 {
            Parallel.forEachRange(block, grain: Parallel.elementGrain) { range in
                (out.data + range.lowerBound).update(from: x.data + (skip &+ range.lowerBound), count: range.count)
            }
        } else {
            Parallel.forEachRange(outer, grain: grain, alignment: 1) { range in
                for o in range { (out.data + o &* block).update(from: x.data + (o &* sourceBlock &+ skip), count: block) }
            }
        }
        return Tape.record(.slice, output: out, inputs: [x]) { gradient in
            // A fresh gradient gets the slice copied in and zeros around it, in one pass.
            let (gx, accumulate) = x.gradientBuffer(), g = gradient.data
            /// Elements `range` of outer position `o`'s gradient block (`sourceBlock` long).
            func fill(_ o: Int, _ range: Range<Int>) {
                let inside = range.clamped(to: skip ..< skip &+ block)
                let target = gx + (o &* sourceBlock &+ inside.lowerBound), source = g + (o &* block &+ inside.lowerBound &- skip)
                if accumulate {
                    Vector.add(target, source, target, inside.count)
                    return
                }
                let before = range.clamped(to: 0 ..< skip), after = range.clamped(to: skip &+ block ..< sourceBlock)
                (gx + (o &* sourceBlock &+ before.lowerBound)).update(repeating: 0, count: before.count)
                target.update(from: source, count: inside.count)
                (gx + (o &* sourceBlock &+ after.lowerBound)).update(repeating: 0, count: after.count)
            }
            if outer == 1 {
                Parallel.forEachRange(sourceBlock, grain: Parallel.elementGrain) { range in fill(0, range) }
            } else {
                Parallel.forEachRange(outer, grain: grain, alignment: 1) { range in
                    for o in range { fill(o, 0 ..< sourceBlock) }
                }
            }
        }
    }

    /// The sub-tensor at `index` along `axis`, with that axis removed.
    public func select(axis: Int, index: Int) -> Tensor {
        var reduced = shape
        reduced.remove(at: axis)
        return slice(axis: axis, start: index, length: 1).reshaped(reduced)
    }

    /// `out = mask ≠ 0 ? value : self`; the gradient flows only where nothing was filled.
    /// - Parameter mask: broadcastable to `shape`, nonzero where `value` replaces the element.
    public func maskedFill(_ mask: Tensor, with value: Float) -> Tensor {
        guard let plan = Broadcast(shape, mask.shape), plan.shape == shape else {
            preconditionFailure("maskedFill: mask \(mask.shape) does not broadcast to \(shape)")
        }
        let x = self, out = Tensor(uninitializedShape: shape)
        let m = mask.data
        plan.forEachRow { o, _, j, n, _, step in
            for t in 0..<n { out.data[o &+ t] = m[j &+ t &* step] != 0 ? value : x.data[o &+ t] }
        }
        return Tape.record(.maskedFill, output: out, inputs: [x]) { gradient in
            let gx = x.gradientPointer(), g = gradient.data, m = mask.data  // keeps the mask alive
            plan.forEachRow { o, _, j, n, _, step in
                for t in 0..<n where m[j &+ t &* step] == 0 { gx[o &+ t] += g[o &+ t] }
            }
        }
    }
}
