/// NumPy-style broadcasting of two shapes: axes are aligned from the right, and an axis of
/// extent 1 (or a missing one) stretches to the other operand's extent.
///
/// The result is walked row by row (a row is the innermost axis), each operand stepping
/// through its own storage with stride 0 along the axes it is broadcast over. Pullbacks walk
/// the same rows to add the output gradient back into each operand, which sums it over the
/// broadcast axes.
struct Broadcast {
    let shape: [Int]
    let count: Int
    private let aStrides: [Int]
    private let bStrides: [Int]

    /// `nil` when the shapes cannot be broadcast together.
    init?(_ a: [Int], _ b: [Int]) {
        let rank = Swift.max(a.count, b.count, 1)
        let paddedA = Array(repeating: 1, count: rank - a.count) + a
        let paddedB = Array(repeating: 1, count: rank - b.count) + b
        var shape = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let x = paddedA[axis], y = paddedB[axis]
            guard x == y || x == 1 || y == 1 else { return nil }
            shape[axis] = x == 1 ? y : x
        }
        self.shape = Array(shape.suffix(Swift.max(a.count, b.count)))
        self.count = shape.reduce(1, *)
        self.aStrides = Broadcast.strides(of: paddedA, in: shape)
        self.bStrides = Broadcast.strides(of: paddedB, in: shape)
        self.fullShape = shape
    }

    private let fullShape: [Int]

    /// Row-major strides of `shape`, with 0 on the axes that are broadcast (extent 1 in
    /// `shape`, more in `target`).
    private static func strides(of shape: [Int], in target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = shape[axis] == 1 && target[axis] != 1 ? 0 : step
            step *= shape[axis]
        }
        return strides
    }

    /// Calls `body(outputOffset, aOffset, bOffset, rowLength, aStep, bStep)` for every row.
    func forEachRow(_ body: (Int, Int, Int, Int, Int, Int) -> Void) {
        let rank = fullShape.count
        let rowLength = fullShape[rank - 1]
        let aStep = aStrides[rank - 1], bStep = bStrides[rank - 1]
        if aStrides == bStrides {
            // Equal strides mean equal shapes: one contiguous pass.
            body(0, 0, 0, count, 1, 1)
            return
        }
        var index = [Int](repeating: 0, count: rank)
        var aOffset = 0, bOffset = 0
        var output = 0
        while output < count {
            body(output, aOffset, bOffset, rowLength, aStep, bStep)
            output += rowLength
            // Advance the odometer over the outer axes.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                aOffset += aStrides[axis]
                bOffset += bStrides[axis]
                if index[axis] < fullShape[axis] { break }
                aOffset -= aStrides[axis] * fullShape[axis]
                bOffset -= bStrides[axis] * fullShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
