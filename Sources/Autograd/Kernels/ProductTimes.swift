import Foundation

/// Where a training step's matrix products spend their time, shape by shape (`attend bench
/// train --products`): how close each product comes to the machine's peak inside a real step,
/// where its operands come from memory and the other ops have just used the caches, rather than
/// in `attend bench gemm`'s loop over one product.
///
/// Off by default. When on, each `GEMM.multiply` call reads the clock around itself and charges
/// the time to its shape: `m × n × k`, the operands' orientations, whether `B` came packed, and
/// whether it ran inside a task of the `Parallel` pool (on one thread: an attention head's
/// products) or with the pool at its disposal. A product that calls another (a stacked product
/// copying its pieces together first) is counted once, as itself.
public enum ProductTimes {
    public struct Shape: Hashable, Sendable {
        public let m: Int, n: Int, k: Int
        public let transposeA: Bool, transposeB: Bool
        /// Whether `B` came packed (a parameter inside `withFrozenParameters`).
        public let packedB: Bool
        /// Whether it ran inside a task of the pool, so on one thread.
        public let inTask: Bool

        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

        /// `1280 × 256 × 1024`, then `Aᵀ`, `Bᵀ`, `packed B` where they apply.
        public var label: String {
            "\(m) × \(n) × \(k)" + (transposeA ? " Aᵀ" : "") + (transposeB ? " Bᵀ" : "") + (packedB ? " packed B" : "")
        }
    }

    /// One shape's totals since `reset()`.
    public struct Row {
        public let shape: Shape
        public let calls: Int
        /// Seconds between each call's entry and return, summed over the calls (and, for the
        /// products run inside tasks, over the threads that ran them).
        public let seconds: Double
    }

    /// Whether products are being timed. Set it between steps, then `reset()`.
    nonisolated(unsafe) public static var isEnabled = false

    private static let lock = NSLock()
    nonisolated(unsafe) private static var totals: [Shape: (calls: Int, nanoseconds: UInt64)] = [:]

    public static func reset() {
        lock.withLock { totals = [:] }
    }

    /// The shapes' totals, the most time first.
    public static func rows() -> [Row] {
        lock.withLock {
            totals.map { Row(shape: $0.key, calls: $0.value.calls, seconds: Double($0.value.nanoseconds) / 1e9) }
                .sorted { $0.seconds > $1.seconds }
        }
    }

    /// A call being timed: `start` at a product's entry, `stop` at its return (a `defer`).
    struct Timing {
        let shape: Shape
        let start: UInt64
        let workspace: GEMMWorkspace

        /// `nil` when timing is off, or inside a product already being timed.
        static func start(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, packedB: Bool) -> Timing? {
            guard isEnabled else { return nil }
            let workspace = GEMMWorkspace.current
            guard !workspace.isTimingProduct else { return nil }
            workspace.isTimingProduct = true
            let shape = Shape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, packedB: packedB,
                              inTask: Parallel.isRunningJob)
            return Timing(shape: shape, start: DispatchTime.now().uptimeNanoseconds, workspace: workspace)
        }

        func stop() {
            let elapsed = DispatchTime.now().uptimeNanoseconds &- start
            workspace.isTimingProduct = false
            ProductTimes.lock.withLock {
                let entry = ProductTimes.totals[shape] ?? (0, 0)
                ProductTimes.totals[shape] = (entry.calls + 1, entry.nanoseconds &+ elapsed)
            }
        }
    }
}
