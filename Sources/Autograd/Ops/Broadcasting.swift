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
        self.layout = Broadcast.layout(paddedA, paddedB, shape)
    }

    private let fullShape: [Int]

    /// How the operands line up with the output viewed as `[rows, n]`, for the fast paths.
    let layout: Layout

    enum Layout: Equatable {
        /// Both operands have the output's shape: one contiguous pass.
        case same
        /// One operand has the output's shape; the other (`aIsBroadcast` says which) is a row
        /// of `n` elements repeated over the rows (`[n]` or `[1, n]` over `[rows, n]`).
        case row(n: Int, aIsBroadcast: Bool)
        /// One operand has the output's shape; the other has one element per row, repeated
        /// over `n` (`[rows, 1]` over `[rows, n]`; a single element is one row of `count`).
        case column(n: Int, aIsBroadcast: Bool)
        /// Anything else: the strided walk of `forEachRow`.
        case general
    }

    private static func layout(_ a: [Int], _ b: [Int], _ full: [Int]) -> Layout {
        if a == full && b == full { return .same }
        let count = full.reduce(1, *)
        guard count > 0 else { return .general }
        if a == full, let pattern = pattern(of: b, in: full, count: count, aIsBroadcast: false) { return pattern }
        if b == full, let pattern = pattern(of: a, in: full, count: count, aIsBroadcast: true) { return pattern }
        return .general
    }

    /// `.column` when `small` matches `full` on its leading axes and is 1 after them; else
    /// `.row` when it is 1 on its leading axes and matches `full` after them.
    private static func pattern(of small: [Int], in full: [Int], count: Int, aIsBroadcast: Bool) -> Layout? {
        let rank = full.count
        var leading = 0
        while leading < rank && small[leading] == full[leading] { leading += 1 }
        if (leading..<rank).allSatisfy({ small[$0] == 1 }) {
            return .column(n: count / Swift.max(small.reduce(1, *), 1), aIsBroadcast: aIsBroadcast)
        }
        var trailing = rank
        while trailing > 0 && small[trailing - 1] == full[trailing - 1] { trailing -= 1 }
        if (0..<trailing).allSatisfy({ small[$0] == 1 }) {
            return .row(n: small.reduce(1, *), aIsBroadcast: aIsBroadcast)
        }
        return nil
    }

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
