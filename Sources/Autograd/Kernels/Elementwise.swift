import Foundation

/// Element-wise transcendental kernels over raw buffers: `y[i] = f(x[i])` for `i < count`.
/// `x` and `y` may be the same buffer.
public enum Vector {
    public static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { y[i] = Foundation.exp(x[i]) }
    }

    public static func log(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { y[i] = Foundation.log(x[i]) }
    }

    public static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { y[i] = Foundation.tanh(x[i]) }
    }

    /// `σ(x) = 1 / (1 + e⁻ˣ)`.
    public static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { y[i] = 1 / (1 + Foundation.exp(-x[i])) }
    }
}
