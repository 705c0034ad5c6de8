import Foundation
import Seq2Seq

/// Turns training events into lines on stderr (stdout stays free for results).
struct ProgressPrinter {
    let epochs: Int

    func report(_ event: TrainingEvent) {
        switch event {
        case let .progress(step, epoch, loss, tokensPerSecond, elapsed, remaining):
            standardError(String(format: "step %6d  epoch %d/%d  loss %.4f  %6.0f tok/s  elapsed %@  eta %@",
                                 step, epoch, epochs, loss, tokensPerSecond, Self.clock(elapsed), remaining.map(Self.clock) ?? "?"))
        case let .validation(step, epoch, result, isBest):
            standardError(String(format: "valid  step %6d  epoch %d  loss %.4f  ppl %.2f  bleu %.2f  exact %.1f%%%@",
                                 step, epoch, result.loss, result.perplexity, result.bleu, result.exactMatch, isBest ? "  (best)" : ""))
        case let .skipped(step, loss, norm, total):
            standardError("attend: step \(step) skipped (loss \(loss), gradient norm \(norm); \(total) skipped so far)")
        case let .finished(reason, step, elapsed):
            standardError("attend: stopped after step \(step), \(Self.clock(elapsed)): \(reason)")
        }
    }

    /// `h:mm:ss` or `m:ss`.
    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
