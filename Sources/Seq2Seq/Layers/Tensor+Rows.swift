import Autograd

extension Tensor {
    /// The rows `indices` along the first axis, in that order (repeats allowed): how beam
    /// search makes each surviving hypothesis inherit its parent's state.
    /// - Parameter self: `[B, …]`. - Returns: `[indices.count, …]`.
    func rows(_ indices: [Int]) -> Tensor {
        let width = count / shape[0]
        return reshaped([shape[0], width]).embedding(indices, shape: [indices.count])
            .reshaped([indices.count] + shape.dropFirst())
    }
}
