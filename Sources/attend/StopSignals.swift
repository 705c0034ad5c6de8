import Dispatch
import Foundation

/// SIGINT and SIGTERM during training: the first asks the trainer to finish its step, save
/// `last` and return (Marian's `--sigterm save-and-exit`); a second one exits at once, as the
/// default action would (a checkpoint being written is then left as it was: writes are atomic).
enum StopSignals {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var first: Int32?
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// The first signal received, if any.
    static var received: Int32? { lock.withLock { first } }

    /// Takes SIGINT and SIGTERM over from their default action.
    static func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)  // delivered to the source below instead of killing the process
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // Signals that arrive together are delivered as one event that counts them.
                let isFirst = lock.withLock { () -> Bool in
                    if first != nil { return false }
                    first = number
                    return source.data < 2
                }
                guard isFirst else {
                    standardError("attend: stopped at once")
                    _exit(128 + number)
                }
                standardError("attend: \(name(number)): finishing this step and saving last.safetensors "
                              + "(press Ctrl-C again to stop at once)")
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Exit status of a process stopped by `number`: 130 for SIGINT, 143 for SIGTERM.
    static func status(_ number: Int32) -> Int32 { 128 + number }

    static func name(_ number: Int32) -> String { number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)" }
}
