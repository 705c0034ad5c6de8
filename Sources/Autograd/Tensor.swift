/// A dense Float32 array with a shape and, when it takes part in differentiation, a gradient.
///
/// Dimension legend, used in every shape comment of the project:
/// `B` batch, `S` source length, `T` target length, `E` embedding, `H` hidden,
/// `D` model width, `h` heads, `V` vocabulary, `L` layers.
///
/// Storage is contiguous and row-major. Operations run eagerly; when gradients are enabled
/// and an input requires them, the operation is recorded on `Tape.current`, and
/// `backward()` later walks that tape in reverse (see `Tape`).
public final class Tensor {
    /// The extent of each axis, outermost first.
    public let shape: [Int]
    /// The number of elements, the product of `shape`.
    public let count: Int
    /// The elements, shared with any `reshaped` view of this tensor.
    public let storage: Storage
    /// Whether gradients flow into this tensor. Parameters set it; op outputs inherit it.
    public var requiresGrad: Bool
    /// ∂loss/∂self after `backward()`, same shape; `nil` until a gradient arrives.
    public var grad: Tensor?
    /// Index of the tape entry that produced this tensor, or -1 for a leaf.
    var tapeIndex = -1

    /// A tensor over existing storage; `storage.count` must equal the shape's product.
    public init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        let count = shape.reduce(1, *)
        precondition(count == storage.count, "shape \(shape) needs \(count) elements, storage has \(storage.count)")
        self.shape = shape
        self.count = count
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// An uninitialised tensor: every element must be written before it is read.
    public convenience init(uninitializedShape shape: [Int]) {
        self.init(shape: shape, storage: Storage(count: shape.reduce(1, *)))
    }

    /// A tensor with every element equal to `value`.
    public convenience init(shape: [Int], repeating value: Float, requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(count: shape.reduce(1, *), repeating: value),
                  requiresGrad: requiresGrad)
    }

    /// A tensor holding `scalars` in row-major order.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
        let storage = Storage(count: shape.reduce(1, *))
        precondition(scalars.count == storage.count, "shape \(shape) needs \(storage.count) scalars, got \(scalars.count)")
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: scalars.count) }
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A rank-0 tensor.
    public convenience init(_ scalar: Float, requiresGrad: Bool = false) {
        self.init(shape: [], scalars: [scalar], requiresGrad: requiresGrad)
    }

    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, repeating: 0, requiresGrad: requiresGrad)
    }

    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, repeating: 1, requiresGrad: requiresGrad)
    }

    public var rank: Int { shape.count }
    /// Raw access to the elements; no tape records writes through it.
    public var data: UnsafeMutablePointer<Float> { storage.pointer }
    /// A copy of the elements in row-major order.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs a one-element tensor, shape is \(shape)")
        return data[0]
    }

    /// The element at a full multi-index.
    public subscript(_ index: Int...) -> Float {
        get { data[flatIndex(index)] }
        set { data[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) for shape \(shape)")
        var flat = 0
        for axis in 0..<rank {
            precondition(index[axis] >= 0 && index[axis] < shape[axis], "index \(index) out of shape \(shape)")
            flat = flat * shape[axis] + index[axis]
        }
        return flat
    }

    /// The same elements cut off from the tape: no gradient flows through the result.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// An independent copy of the elements (not recorded).
    public func copy() -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        result.data.update(from: data, count: count)
        return result
    }

    /// Forgets the gradient; the next backward pass starts it from zero.
    public func zeroGrad() { grad = nil }

    /// The gradient buffer, created zero-filled on first use. Pullbacks add (`+=`) into it.
    func gradientPointer() -> UnsafeMutablePointer<Float> {
        if let grad { return grad.data }
        let fresh = Tensor(shape: shape, repeating: 0)
        grad = fresh
        return fresh.data
    }

    /// The gradient buffer for a pullback that writes every element, and whether it must add:
    /// with no gradient yet, a fresh buffer comes back *uninitialised* with `accumulate` false,
    /// and the pullback stores (`=`) its values, zeros included, into every element. That spares
    /// the zero fill and the read of the zeros (`gradientPointer()` costs both).
    func gradientBuffer() -> (pointer: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if let grad { return (grad.data, true) }
        let fresh = Tensor(uninitializedShape: shape)
        grad = fresh
        return (fresh.data, false)
    }

    /// `gradientBuffer()` for a matrix product that writes every element: the β that adds to
    /// an existing gradient (1), or fills a fresh, uninitialised one (0).
    func productGradientBuffer() -> (pointer: UnsafeMutablePointer<Float>, beta: Float) {
        let (pointer, accumulate) = gradientBuffer()
        return (pointer, accumulate ? 1 : 0)
    }

    /// `grad += gradient` for a gradient of the same element count (any shape).
    ///
    /// With no gradient yet, `adopting` makes this tensor's gradient share `gradient`'s storage
    /// instead of copying it. That is safe for the gradient a pullback receives: the tape drops
    /// an output's gradient as soon as its pullback returns, and no pullback writes into the one
    /// it received after adopting it (only `linearReLU`'s writes into it, and adopts it nowhere).
    /// A pullback adopts for at most one input; the others copy (`adopting: false`), or a later
    /// `+=` into one input's gradient would change another's.
    func accumulateGradient(_ gradient: Tensor, adopting: Bool) {
        precondition(gradient.count == count, "gradient of \(gradient.count) elements for shape \(shape)")
        if let grad {
            let g = Vector.Operand.full(gradient.data, count)
            Vector.map(Lane.Pass.self, rows: 1, n: count, g, g, g, into: grad.data, accumulate: true)
        } else if adopting {
            grad = Tensor(shape: shape, storage: gradient.storage)
        } else {
            let fresh = Tensor(uninitializedShape: shape)
            Vector.copy(gradient.data, fresh.data, count)
            grad = fresh
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.4f", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}

/// Element counts as the row-major product of a shape, with axis helpers.
extension Array where Element == Int {
    /// The product of the extents before `axis`.
    func outerCount(before axis: Int) -> Int { self[..<axis].reduce(1, *) }
    /// The product of the extents after `axis`.
    func innerCount(after axis: Int) -> Int { self[(axis + 1)...].reduce(1, *) }
}

import Foundation
