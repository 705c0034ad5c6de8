import Foundation
import Synchronization

/// Where a training step's time goes, op by op (`attend bench train --ops`).
///
/// Off by default. When on, the tape reads the clock as each op is recorded and around each
/// pullback, and the `Parallel` pool's workers around each task, so that every stretch of the
/// calling thread's time is charged to a label (`forward linear`, `backward layerNorm`, …):
/// a forward op gets the time since the previous mark (its own computation, and whatever ran
/// unrecorded just before it), a pullback its own run. Alongside, the time the other threads
/// spent not running a task in that stretch (`idle`): what a label leaves on the table when it
/// runs on the calling thread alone or its parts are uneven.
public enum OpTimes {
    /// One label's totals since `reset()`.
    public struct Row {
        public let label: String
        public let calls: Int
        /// Calling-thread seconds charged to the label.
        public let seconds: Double
        /// Seconds the other threads were not running a task, summed over them.
        public let idleSeconds: Double
    }

    /// Whether ops are being timed. Set it between steps, then `reset()`.
    nonisolated(unsafe) public static var isEnabled = false

    /// Nanoseconds the pool's workers spent running tasks, while enabled.
    static let workerBusy = Atomic<UInt64>(0)

    nonisolated(unsafe) private static var totals: [String: (calls: Int, nanoseconds: UInt64, idle: Int64)] = [:]
    nonisolated(unsafe) private static var last: UInt64 = 0
    nonisolated(unsafe) private static var lastBusy: UInt64 = 0

    /// Starts the count afresh from now.
    public static func reset() {
        totals = [:]
        (last, lastBusy) = (DispatchTime.now().uptimeNanoseconds, workerBusy.load(ordering: .relaxed))
    }

    /// Charges the time since the previous mark to `label`, or to nothing when `label` is `nil`.
    public static func mark(_ label: @autoclosure () -> String?) {
        guard isEnabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds, busy = workerBusy.load(ordering: .relaxed)
        if let label = label() {
            let others = UInt64(max(Parallel.threadCount - 1, 0))
            let idle = Int64(bitPattern: (now &- last) &* others) &- Int64(bitPattern: busy &- lastBusy)
            let entry = totals[label] ?? (0, 0, 0)
            totals[label] = (entry.calls + 1, entry.nanoseconds &+ (now &- last), entry.idle &+ idle)
        }
        (last, lastBusy) = (now, busy)
    }

    /// The labels' totals, the most time first.
    public static func rows() -> [Row] {
        totals.map { Row(label: $0.key, calls: $0.value.calls, seconds: Double($0.value.nanoseconds) / 1e9,
                         idleSeconds: Double(max($0.value.idle, 0)) / 1e9) }
            .sorted { $0.seconds > $1.seconds }
    }
}
