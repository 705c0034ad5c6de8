/// The `LaneFunction`s of the arithmetic ops and their pullbacks. By convention a forward
/// function reads `(a, b, _)` and a pullback's reads `(g, a, b)`, `g` the output gradient.
enum Lane {
    typealias V = Vector.Lanes

    /// `a + b`.
    enum Sum: LaneFunction { @inline(__always) static func apply(_ a: V, _ b: V, _: V) -> V { a + b } }
    /// `a − b`.
    enum Difference: LaneFunction { @inline(__always) static func apply(_ a: V, _ b: V, _: V) -> V { a - b } }
    /// `a · b`.
    enum Product: LaneFunction { @inline(__always) static func apply(_ a: V, _ b: V, _: V) -> V { a * b } }
    /// `a / b`.
    enum Quotient: LaneFunction { @inline(__always) static func apply(_ a: V, _ b: V, _: V) -> V { a / b } }
    /// `a · b + c`, fused.
    enum MultiplyAdd: LaneFunction { @inline(__always) static func apply(_ a: V, _ b: V, _ c: V) -> V { c.addingProduct(a, b) } }

    /// `g`: ∂(a ± b)/∂a, ∂(a + b)/∂b.
    enum Pass: LaneFunction { @inline(__always) static func apply(_ g: V, _: V, _: V) -> V { g } }
    /// `−g`: ∂(a − b)/∂b.
    enum Negated: LaneFunction { @inline(__always) static func apply(_ g: V, _: V, _: V) -> V { -g } }
    /// `g · b`: ∂(ab)/∂a.
    enum TimesB: LaneFunction { @inline(__always) static func apply(_ g: V, _: V, _ b: V) -> V { g * b } }
    /// `g · a`: ∂(ab)/∂b.
    enum TimesA: LaneFunction { @inline(__always) static func apply(_ g: V, _ a: V, _: V) -> V { g * a } }
    /// `g / b`: ∂(a/b)/∂a.
    enum OverB: LaneFunction { @inline(__always) static func apply(_ g: V, _: V, _ b: V) -> V { g / b } }
    /// `−g·a / b²`: ∂(a/b)/∂b.
    enum QuotientB: LaneFunction { @inline(__always) static func apply(_ g: V, _ a: V, _ b: V) -> V { -(g * a / (b * b)) } }
}
